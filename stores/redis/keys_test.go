package redisstore_test

import (
	"testing"

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
		if (t1 != t2 || id1 != id2) && d.Key(t1, id1) == d.Key(t2, id2) {
			t.Errorf("Key(%q, %q) = Key(%q, %q) = %q", t1, id1, t2, id2, d.Key(t1, id1))
		}
		if t1 != t2 && (tk.Key(t1) == tk.Key(t2) || tk.LockKey(t1) == tk.LockKey(t2)) {
			t.Errorf("token keys of %q and %q collide", t1, t2)
		}
		if tk.Key(t1) == tk.LockKey(t2) {
			t.Errorf("token key of %q is the lock key of %q", t1, t2)
		}
	})
}
