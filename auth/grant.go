package auth

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"golang.org/x/oauth2"
)

// GrantLifetime is the absolute expiry of an Atlassian OAuth 2.0 (3LO)
// grant: this long after the user consented, every token of the grant stops
// working, however often it was refreshed, and the user must consent again.
// Until then the webhooks registered with it can no longer be refreshed.
const GrantLifetime = 365 * 24 * time.Hour

// DefaultReconsentNotice is how long before a grant's absolute expiry a
// [TokenSource] reports it due for re-consent, unless told otherwise with
// [WithReconsentNotice].
const DefaultReconsentNotice = 30 * 24 * time.Hour

// RefreshReuseLeeway is how long Atlassian accepts a superseded refresh
// token again after it was first exchanged (the reuse interval of its
// refresh token rotation). Presenting it later revokes every token of the
// grant. See the package documentation for what this means after a crash.
const RefreshReuseLeeway = 10 * time.Minute

// consentExtra is the key of a token's Extra under which this package keeps
// the consent time.
const consentExtra = "jirahooks_consented_at"

// ConsentTime returns when the user consented to the grant tok belongs to,
// as [Exchange] records it and [TokenSource] carries it over to every
// refreshed token. ok is false when it is unknown: a token imported from
// elsewhere, saved by an older version, or loaded from a [TokenStore] that
// does not keep it.
//
// A TokenStore keeps it by saving ConsentTime(tok) beside the token and
// restoring it in Load with [TokenWithConsentTime].
func ConsentTime(tok *oauth2.Token) (t time.Time, ok bool) {
	if tok == nil {
		return time.Time{}, false
	}
	switch v := tok.Extra(consentExtra).(type) {
	case time.Time:
		return v, !v.IsZero()
	case string: // a store that kept the extra as JSON text
		t, err := time.Parse(time.RFC3339Nano, v)
		return t, err == nil && !t.IsZero()
	}
	return time.Time{}, false
}

// TokenWithConsentTime returns a copy of tok that records t as the consent
// time of its grant, for a [TokenStore]'s Load. A zero t records nothing:
// the copy's consent time is unknown. Of tok's extra fields (Extra), the
// copy keeps only "scope".
func TokenWithConsentTime(tok *oauth2.Token, t time.Time) *oauth2.Token {
	extra := map[string]any{}
	if sc := tok.Extra("scope"); sc != nil {
		extra["scope"] = sc
	}
	if !t.IsZero() {
		extra[consentExtra] = t.UTC()
	}
	return tok.WithExtra(extra)
}

// GrantStatus tells when a grant needs its user's consent again. See
// [TokenSource.Grant] and [WithReconsentAlert].
type GrantStatus struct {
	// Key is the grant's key in its TokenStore.
	Key string
	// ConsentedAt is when the user consented; zero when unknown.
	ConsentedAt time.Time
	// Expires is when Atlassian ends the grant, ConsentedAt plus
	// GrantLifetime; zero when unknown.
	Expires time.Time
	// Due reports that Expires is within the token source's notice period
	// (default DefaultReconsentNotice) or past: send the user through the
	// consent flow again and save the new token under Key. It is false
	// when the consent time is unknown.
	Due bool
}

// Known reports whether the consent time is known. When it is not (see
// [ConsentTime]), nobody can tell when the grant ends: any day within 365
// days of a consent nobody recorded. Running the consent flow again and
// saving the token from [Exchange] makes it known.
func (g GrantStatus) Known() bool { return !g.ConsentedAt.IsZero() }

// String describes the status for a log line or an alert.
func (g GrantStatus) String() string {
	switch {
	case !g.Known():
		return fmt.Sprintf("grant %q: consent time unknown, so its 365-day expiry cannot be foreseen; consent again to know it", g.Key)
	case g.Due:
		return fmt.Sprintf("grant %q ends %s (365 days after consent): ask the user to consent again", g.Key, g.Expires.Format(time.RFC3339))
	default:
		return fmt.Sprintf("grant %q ends %s (365 days after consent)", g.Key, g.Expires.Format(time.RFC3339))
	}
}

// grantStatus computes the status of the grant tok belongs to at now.
func grantStatus(key string, tok *oauth2.Token, now time.Time, notice time.Duration) GrantStatus {
	g := GrantStatus{Key: key}
	if t, ok := ConsentTime(tok); ok {
		g.ConsentedAt = t
		g.Expires = t.Add(GrantLifetime)
		g.Due = !now.Add(notice).Before(g.Expires)
	}
	return g
}

// storedToken is the JSON form of a token in a TokenStore. The first four
// fields are named as golang.org/x/oauth2 encodes a Token, so values written
// before ConsentedAt existed (or by x/oauth2 itself) still decode, with the
// consent time unknown; older readers ignore ConsentedAt.
type storedToken struct {
	AccessToken  string    `json:"access_token"`
	TokenType    string    `json:"token_type,omitempty"`
	RefreshToken string    `json:"refresh_token,omitempty"`
	Expiry       time.Time `json:"expiry,omitzero"`
	ConsentedAt  time.Time `json:"consented_at,omitzero"`
}

// MarshalToken encodes tok, with its consent time ([ConsentTime]), as
// [FileStore] and stores/redis save it. A TokenStore of your own (a
// database column, say) that saves these bytes keeps the consent time, and
// so the re-consent warnings, across restarts.
func MarshalToken(tok *oauth2.Token) ([]byte, error) {
	if tok == nil {
		return nil, errors.New("auth: nil token")
	}
	consented, _ := ConsentTime(tok)
	return json.Marshal(storedToken{AccessToken: tok.AccessToken, TokenType: tok.TokenType,
		RefreshToken: tok.RefreshToken, Expiry: tok.Expiry, ConsentedAt: consented})
}

// UnmarshalToken decodes what [MarshalToken] wrote, or a token that
// golang.org/x/oauth2 encoded (its consent time then unknown).
func UnmarshalToken(b []byte) (*oauth2.Token, error) {
	var st storedToken
	if err := json.Unmarshal(b, &st); err != nil {
		return nil, err
	}
	tok := &oauth2.Token{AccessToken: st.AccessToken, TokenType: st.TokenType,
		RefreshToken: st.RefreshToken, Expiry: st.Expiry}
	return TokenWithConsentTime(tok, st.ConsentedAt), nil
}
