package auth

// held reports whether key is locked; for tests.
func (l *keyLocks) held(key string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	e := l.m[key]
	return e != nil && len(e.ch) == 1
}

// size returns how many keys have a lock entry; for tests.
func (l *keyLocks) size() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.m)
}
