package auth

// held reports whether key is locked; for tests.
func (l *keyLocks) held(key string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	e := l.m[key]
	return e != nil && len(e.ch) == 1
}
