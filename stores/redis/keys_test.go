package redisstore_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	redisstore "github.com/jirahooks/jirahooks/stores/redis"
)

// FuzzKeys checks that distinct names never share a key: a tenant, id or
// token key chosen by a sender cannot reach another one's state.
func FuzzKeys(f *testing.F) {
	f.Add("a:b", "c", "a", "b:c")
	f.Add("a b", "c", "a+b", "c")
	f.Add("", "#00", "#", "00")
	d := redisstore.NewDedupeStore(nil, nil)
	tk := redisstore.NewTokenStore(nil, nil)
	f.Fuzz(func(t *testing.T, t1, id1, t2, id2 string) {
		if t1 != t2 || id1 != id2 {
			assert.NotEqual(t, d.Key(t2, id2), d.Key(t1, id1), "Key(%q, %q) = Key(%q, %q)", t1, id1, t2, id2)
		}
		if t1 != t2 {
			assert.NotEqual(t, tk.Key(t2), tk.Key(t1), "token keys of %q and %q collide", t1, t2)
			assert.NotEqual(t, tk.LockKey(t2), tk.LockKey(t1), "token lock keys of %q and %q collide", t1, t2)
		}
		assert.NotEqual(t, tk.LockKey(t2), tk.Key(t1), "token key of %q is the lock key of %q", t1, t2)
	})
}
