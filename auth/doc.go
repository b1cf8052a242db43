// Package auth gives a Jira Cloud app the credentials the webhook endpoints
// accept, as an [*http.Client] (or [http.RoundTripper]) to hand to
// webhooks.NewClient through webhooks.WithHTTPClient:
//
//   - OAuth 2.0 (3LO) on golang.org/x/oauth2: [NewConfig], [AuthCodeURL],
//     [CallbackCode] and [Exchange] run the consent flow; a [TokenSource]
//     keeps the token fresh; [Sites] finds the cloudId and the base URL
//     (https://api.atlassian.com/ex/jira/{cloudId}) of each site the grant
//     covers.
//   - Atlassian Connect: [Connect] signs every request with a fresh HS256 JWT
//     whose qsh claim is computed by the same code the webhooks receiver
//     verifies deliveries with.
//   - Basic (email and API token), for the admin webhook API: [Basic].
//
// # Rotating refresh tokens
//
// Atlassian rotates refresh tokens: every refresh returns a new refresh token
// and the old one stops working, so an app that loses a new token must ask
// its user to consent again. golang.org/x/oauth2 keeps rotated tokens only in
// memory. A [TokenSource] therefore saves every token it obtains to a
// [TokenStore] before it hands the token out, once per real refresh, and
// refreshes only one token at a time per store key. When the save fails, the
// call returns an error wrapping [ErrTokenNotSaved] and the new token stays
// in memory: the next call retries the save instead of refreshing again with
// a refresh token that no longer works.
//
// A [MemoryStore] and a [FileStore] (one 0600 file per key, replaced
// atomically, refreshes serialised across the processes sharing its
// directory by an OS file lock) are included; any database can serve as a
// store by implementing the two methods of [TokenStore]. A store shared by
// several processes should also implement [Locker] so that only one of
// them refreshes a given key at a time.
//
// # Crashes and the reuse leeway
//
// A process that dies after the token endpoint answered a refresh and
// before the store saved the answer leaves the superseded refresh token in
// the store. Atlassian accepts a superseded refresh token again for
// [RefreshReuseLeeway], 10 minutes after its first use; presented later, it
// revokes every token of the grant. So a program restarted within 10
// minutes of such a crash refreshes again and carries on, and one restarted
// later gets [ErrConsentRequired] and must send its user through the
// consent flow. The same holds for a store restored from a backup older
// than the last refresh.
//
// # Grants end after 365 days
//
// Atlassian ends every grant [GrantLifetime] (365 days) after the user
// consented, however often it was refreshed; from then on the app cannot
// refresh the webhooks it registered with the grant. [Exchange] records the
// consent time with the token ([ConsentTime]), the included stores keep it,
// and a [TokenSource] reports the grant due for re-consent
// [DefaultReconsentNotice] (30 days) before it ends, through
// [TokenSource.Grant] or a [WithReconsentAlert] callback. Tokens stored
// without a consent time (imported, or saved by an older version) report
// it unknown.
//
// # Errors
//
// When the refresh token has expired or been revoked, or no token is stored
// for a key, errors satisfy errors.Is(err, [ErrConsentRequired]): the app
// should send its user through the consent flow again. Failures of the token
// endpoint are reported as [*TokenError]. No error or String method of this
// package includes an access token, refresh token, client secret, API token
// or shared secret.
package auth
