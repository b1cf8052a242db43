package redisstore

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"strings"
)

// DefaultPrefix is the first segment of every key this package writes,
// unless an Options value says otherwise.
const DefaultPrefix = "jirahooks"

// maxKeyPart is the longest escaped name kept readable in a key; longer
// names are hashed so that a hostile header cannot make huge keys.
const maxKeyPart = 256

// keyName returns prefix:kind:part:part..., each part escaped with
// url.QueryEscape, which never leaves a ':' or a '#' unescaped, so distinct
// parts give distinct keys and no part can forge a segment. When the
// escaped parts are long they are replaced by "#" and the hex SHA-256 of
// their joined escaped form; '#' cannot start an escaped part, so hashed
// and readable keys never meet.
func keyName(prefix, kind string, parts ...string) string {
	esc := make([]string, len(parts))
	n := 0
	for i, p := range parts {
		esc[i] = url.QueryEscape(p)
		n += len(esc[i])
	}
	joined := strings.Join(esc, ":")
	if n > maxKeyPart {
		sum := sha256.Sum256([]byte(joined))
		joined = "#" + hex.EncodeToString(sum[:])
	}
	return prefix + ":" + kind + ":" + joined
}

// prefixOr returns p, or DefaultPrefix when p is empty.
func prefixOr(p string) string {
	if p == "" {
		return DefaultPrefix
	}
	return p
}

// newToken returns a random value that identifies one holder of a lock.
func newToken() string {
	return rand.Text()
}
