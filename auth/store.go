package auth

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/gofrs/flock"
	"golang.org/x/oauth2"
)

// TokenStore keeps OAuth tokens, one grant per key. A key names whatever a
// grant belongs to in the app (a user, a Jira site, an installation); the
// package only requires that it be stable.
//
// Load returns [ErrTokenNotFound] (possibly wrapped) when nothing is stored
// under key. Save must not return before the token is durable: a
// [TokenSource] hands a refreshed token out only after Save succeeded,
// because the refresh token it replaces no longer works. Implementations
// must be safe for concurrent use and must not put token values in their
// errors.
//
// A store shared by several processes (a database, Redis) should also
// implement [Locker].
type TokenStore interface {
	Load(ctx context.Context, key string) (*oauth2.Token, error)
	Save(ctx context.Context, key string, tok *oauth2.Token) error
}

// Locker is implemented by a [TokenStore] that can serialise refreshes of a
// key. When its store implements Locker, a [TokenSource] that needs a new
// token calls Lock for its key, loads the stored token again (another
// holder of the lock may have refreshed it meanwhile, in which case that
// token is used and no refresh happens), refreshes and saves, and then calls
// unlock. A distributed store implements Lock with a distributed lock (for
// example a Redis lock with a lease longer than a token request) so that two
// processes never spend the same refresh token. Lock must return ctx.Err()
// if ctx ends first, and unlock must be safe to call from any goroutine:
// when saving a refreshed token fails, the token source keeps the lock
// until a later call saves the token (see [TokenSource]), so a lease should
// be renewed while held or be long enough to cover that.
//
// Without a Locker, token sources serialise refreshes of a key only within
// their process. [MemoryStore] implements Locker within one process,
// [FileStore] across the processes that share its directory.
type Locker interface {
	Lock(ctx context.Context, key string) (unlock func(), err error)
}

// keyLocks is a set of per-key mutexes that honour a context.
type keyLocks struct {
	mu sync.Mutex
	m  map[string]*keyLock
}

type keyLock struct {
	ch   chan struct{}
	refs int
}

func (l *keyLocks) Lock(ctx context.Context, key string) (func(), error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	l.mu.Lock()
	if l.m == nil {
		l.m = make(map[string]*keyLock)
	}
	e := l.m[key]
	if e == nil {
		e = &keyLock{ch: make(chan struct{}, 1)}
		l.m[key] = e
	}
	e.refs++
	l.mu.Unlock()

	release := func() {
		l.mu.Lock()
		e.refs--
		if e.refs == 0 {
			delete(l.m, key)
		}
		l.mu.Unlock()
	}
	select {
	case e.ch <- struct{}{}:
	case <-ctx.Done():
		release()
		return nil, ctx.Err()
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			<-e.ch
			release()
		})
	}, nil
}

// MemoryStore is a [TokenStore] and [Locker] that keeps tokens in memory,
// for tests and short-lived programs. The zero value is ready to use.
type MemoryStore struct {
	locks keyLocks
	mu    sync.Mutex
	m     map[string]oauth2.Token
}

// Load returns a copy of the token stored under key, or [ErrTokenNotFound].
func (s *MemoryStore) Load(_ context.Context, key string) (*oauth2.Token, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.m[key]
	if !ok {
		return nil, ErrTokenNotFound
	}
	return &t, nil
}

// Save stores a copy of tok under key.
func (s *MemoryStore) Save(_ context.Context, key string, tok *oauth2.Token) error {
	if tok == nil {
		return errors.New("auth: nil token")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = make(map[string]oauth2.Token)
	}
	s.m[key] = stripped(tok)
	return nil
}

// Lock serialises refreshes of key within this process.
func (s *MemoryStore) Lock(ctx context.Context, key string) (func(), error) {
	return s.locks.Lock(ctx, key)
}

// String describes the store without its tokens.
func (s *MemoryStore) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return fmt.Sprintf("auth.MemoryStore{%d tokens}", len(s.m))
}

// GoString describes the store without its tokens.
func (s *MemoryStore) GoString() string { return s.String() }

// FileStore is a [TokenStore] and [Locker] that keeps each key's token in a
// JSON file of its own in a directory. Files are created with mode 0600 and
// replaced atomically (written to a temporary file, synced, renamed), so a
// crash leaves either the old token or the new one, never a torn file.
//
// The lock of a key belongs to the key's file, not to the FileStore value:
// every FileStore of one process on the same directory shares it, and other
// processes using the directory (a CLI next to the app, a second instance)
// are excluded by an OS file lock on a ".lock" file beside the token
// (flock(2), or LockFileEx on Windows, through github.com/gofrs/flock). A
// [TokenSource] holds it from reloading the stored token to saving the
// refreshed one, so a refresh token is never spent twice. The lock files
// stay in the directory: removing them while another process waits on one
// would let two processes hold "the" lock at once. Directories on network
// file systems may not honour file locks.
//
// Besides the token, a file records when the user consented to the grant
// (see [ConsentTime]); files written before that field existed still load,
// with the consent time unknown.
type FileStore struct {
	dir string // absolute and clean
}

// NewFileStore returns a FileStore that keeps its files in dir, creating
// dir with mode 0700 if it does not exist.
func NewFileStore(dir string) (*FileStore, error) {
	if dir == "" {
		return nil, errors.New("auth: empty FileStore directory")
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("auth: FileStore: %w", err)
	}
	if err := os.MkdirAll(abs, 0o700); err != nil {
		return nil, fmt.Errorf("auth: FileStore: %w", err)
	}
	return &FileStore{dir: abs}, nil
}

// Path returns the file that holds key's token.
func (s *FileStore) Path(key string) string {
	return filepath.Join(s.dir, fileName(key)+".json")
}

// lockPath returns the file whose OS lock serialises refreshes of key. It
// names the (directory, key) pair, so it also keys the process's registry.
func (s *FileStore) lockPath(key string) string {
	return filepath.Join(s.dir, fileName(key)+".lock")
}

// Load reads the token stored under key, or returns [ErrTokenNotFound].
func (s *FileStore) Load(_ context.Context, key string) (*oauth2.Token, error) {
	b, err := os.ReadFile(s.Path(key))
	if errors.Is(err, os.ErrNotExist) {
		return nil, ErrTokenNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("auth: FileStore: %w", err)
	}
	t, err := UnmarshalToken(b)
	if err != nil {
		// The error of encoding/json names a position, not the content.
		return nil, fmt.Errorf("auth: FileStore: decoding %s: %w", s.Path(key), err)
	}
	return t, nil
}

// Save writes tok to key's file atomically, with mode 0600. It does not take
// key's lock: a [TokenSource] holds it already when it saves.
func (s *FileStore) Save(_ context.Context, key string, tok *oauth2.Token) (err error) {
	if tok == nil {
		return errors.New("auth: nil token")
	}
	b, err := MarshalToken(tok)
	if err != nil {
		return fmt.Errorf("auth: FileStore: encoding token: %w", err)
	}
	f, err := os.CreateTemp(s.dir, ".tmp-"+fileName(key)+"-*")
	if err != nil {
		return fmt.Errorf("auth: FileStore: %w", err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if err = f.Chmod(0o600); err != nil {
		return fmt.Errorf("auth: FileStore: %w", err)
	}
	if _, err = f.Write(b); err != nil {
		return fmt.Errorf("auth: FileStore: %w", err)
	}
	if err = f.Sync(); err != nil {
		return fmt.Errorf("auth: FileStore: %w", err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("auth: FileStore: %w", err)
	}
	if err = os.Rename(f.Name(), s.Path(key)); err != nil {
		return fmt.Errorf("auth: FileStore: %w", err)
	}
	// Make the rename durable where the platform allows syncing a directory.
	if d, derr := os.Open(s.dir); derr == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// Lock serialises refreshes of key among every FileStore on the same
// directory, in this process and in others: it takes the process's lock of
// the key's file, then the OS lock of its ".lock" file, trying again every
// few milliseconds while another process holds it. It returns ctx.Err() if
// ctx ends first. unlock releases both and may be called more than once,
// from any goroutine.
func (s *FileStore) Lock(ctx context.Context, key string) (unlock func(), err error) {
	path := s.lockPath(key)
	unlockProcess, err := fileLocks.Lock(ctx, path)
	if err != nil {
		return nil, err
	}
	fl := flock.New(path, flock.SetPermissions(0o600))
	ok, err := fl.TryLockContext(ctx, fileLockPoll)
	if !ok || err != nil {
		unlockProcess()
		if cerr := ctx.Err(); cerr != nil {
			return nil, cerr
		}
		return nil, fmt.Errorf("auth: FileStore: locking %s: %w", path, err)
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			// Unlock closes the file; an error leaves nothing to undo (the
			// OS drops the lock with the descriptor).
			_ = fl.Unlock()
			unlockProcess()
		})
	}, nil
}

// fileLockPoll is how often FileStore.Lock retries an OS file lock that
// another process holds.
const fileLockPoll = 5 * time.Millisecond

// fileLocks holds the process-wide lock of each key of each FileStore
// directory, by lock file path, whatever FileStore value asks for it.
var fileLocks keyLocks

// fileName maps a key to a file name (without its extension) that cannot
// leave the directory or collide with another key, also on a file system
// that ignores case (macOS, Windows): lower-case letters, digits, '-' and
// '_' stay, every other byte, upper-case letters included, becomes %XX. A
// name that would exceed maxNameLen keeps its first bytes for the reader
// and ends in "~" and the hex SHA-256 of the key instead ("~" is escaped
// everywhere else), as file systems limit names to 255 bytes.
func fileName(key string) string {
	var b strings.Builder
	for i := 0; i < len(key); i++ {
		c := key[i]
		if 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_' {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	name := b.String()
	if len(name) > maxNameLen {
		sum := sha256.Sum256([]byte(key))
		name = name[:maxNameLen-1-2*len(sum)] + "~" + hex.EncodeToString(sum[:])
	}
	return name
}

// maxNameLen bounds a key's file name before ".json" or ".lock", leaving
// room for the ".tmp-" prefix and random suffix of the temporary file Save
// writes.
const maxNameLen = 200

// stripped copies the fields of tok that a store keeps, its consent time
// included.
func stripped(tok *oauth2.Token) oauth2.Token {
	t := &oauth2.Token{
		AccessToken:  tok.AccessToken,
		TokenType:    tok.TokenType,
		RefreshToken: tok.RefreshToken,
		Expiry:       tok.Expiry,
	}
	consented, _ := ConsentTime(tok)
	return *TokenWithConsentTime(t, consented)
}
