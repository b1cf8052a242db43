package auth

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gofrs/flock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/jirahooks/jirahooks/jiratest"
)

// The tests below re-execute the test binary as a second process on the
// same FileStore directory. childEnv selects what the child does; the
// others pass it the directory, the fake's URL and the time.
const (
	childEnv    = "JIRAHOOKS_AUTH_TEST_CHILD"
	childDirEnv = "JIRAHOOKS_AUTH_TEST_DIR"
	childURLEnv = "JIRAHOOKS_AUTH_TEST_URL"
	childNowEnv = "JIRAHOOKS_AUTH_TEST_NOW"
)

// crashExit is the exit status of a child that "crashes" on purpose.
const crashExit = 3

// hammer makes goroutines goroutines ask srcs (in turn) for a token calls
// times each, and returns how many calls succeeded and failed, with the
// first failure.
func hammer(srcs []*TokenSource, goroutines, calls int) (ok, failed int64, first error) {
	var wg sync.WaitGroup
	var nOK, nFailed atomic.Int64
	var once sync.Once
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range calls {
				if _, err := srcs[g%len(srcs)].Token(); err != nil {
					nFailed.Add(1)
					once.Do(func() { first = err })
					continue
				}
				nOK.Add(1)
			}
		}()
	}
	wg.Wait()
	return nOK.Load(), nFailed.Load(), first
}

// fileSources returns n token sources for key, each on a FileStore value of
// its own over dir.
func fileSources(t testing.TB, cfg *oauth2.Config, dir string, n int, opts ...TokenSourceOption) []*TokenSource {
	t.Helper()
	srcs := make([]*TokenSource, n)
	for i := range srcs {
		fs, err := NewFileStore(dir)
		require.NoError(t, err)
		srcs[i] = NewTokenSource(cfg, fs, key, opts...)
	}
	return srcs
}

// TestFileStoresShareTheLock: four token sources for one key, each with its
// own FileStore on one directory, 32 goroutines making 200 calls each
// across ten expiries of the access token: exactly one refresh per expiry,
// no call fails. With a lock per FileStore value, the four sources refresh
// at once.
func TestFileStoresShareTheLock(t *testing.T) {
	t.Parallel()
	const (
		sources, goroutines, calls = 4, 32, 200
		expiries                   = 10
	)
	f := newFakeAtlassian(t)
	clk := newClock()
	f.now = clk.Now
	f.delay = 5 * time.Millisecond // long enough for the four sources to collide
	dir := t.TempDir()
	fs, err := NewFileStore(dir)
	require.NoError(t, err)
	first := f.grant(clk.Now().Add(time.Hour))
	require.NoError(t, fs.Save(t.Context(), key, first))
	srcs := fileSources(t, f.config(), dir, sources, WithClock(clk.Now), WithTokenHTTPClient(f.srv.Client()))

	var ok, failed int64
	var firstErr error
	for round := range expiries {
		clk.Advance(time.Hour) // the stored access token has expired
		o, n, err := hammer(srcs, goroutines, calls/expiries)
		ok, failed = ok+o, failed+n
		if firstErr == nil && err != nil {
			firstErr = fmt.Errorf("expiry %d: %w", round+1, err)
		}
	}
	t.Logf("%d sources, %d goroutines x %d calls: %d calls succeeded, %d failed; %d expiries, %d refreshes (%d with a superseded token), %d refused",
		sources, goroutines, calls, ok, failed, expiries, f.refreshes.Load(), f.reuses.Load(), f.rejected.Load())
	assert.NoError(t, firstErr)
	assert.Equal(t, int64(goroutines*calls), ok, "calls that succeeded")
	assert.Equal(t, int64(expiries), f.refreshes.Load(), "refreshes: one per expiry")
	assert.Zero(t, f.reuses.Load(), "refreshes with a superseded refresh token")
	assert.False(t, f.grantRevoked(first), "grant revoked")
}

// TestFileStoreAcrossProcesses: two processes (this one and a child) on one
// FileStore directory, each with two token sources and 16 goroutines,
// through eight expiries of the access token: exactly one refresh per
// expiry, no call fails. Without the OS file lock both processes refresh.
func TestFileStoreAcrossProcesses(t *testing.T) {
	t.Parallel()
	if os.Getenv(childEnv) == "refresh" {
		refreshChild(t)
		return
	}
	const (
		sources, goroutines, calls = 2, 16, 10 // per process and expiry
		expiries                   = 8
	)
	f := newFakeAtlassian(t)
	clk := newClock()
	f.now = clk.Now
	// A token request long enough that the other process, started on the
	// same expiry within a millisecond, would refresh too if nothing
	// stopped it.
	f.delay = 20 * time.Millisecond
	dir := t.TempDir()
	fs, err := NewFileStore(dir)
	require.NoError(t, err)
	first := f.grant(clk.Now().Add(time.Hour))
	require.NoError(t, fs.Save(t.Context(), key, first))

	cmd := exec.Command(os.Args[0], "-test.run=^TestFileStoreAcrossProcesses$", "-test.count=1")
	cmd.Env = append(os.Environ(), childEnv+"=refresh", childDirEnv+"="+dir, childURLEnv+"="+f.srv.URL,
		fmt.Sprintf("JIRAHOOKS_AUTH_TEST_WORK=%d %d %d", sources, goroutines, calls))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	toChild, err := cmd.StdinPipe()
	require.NoError(t, err)
	fromChild, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	var waited bool
	t.Cleanup(func() { // when the test stops early
		if !waited {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	replies := bufio.NewScanner(fromChild)

	srcs := fileSources(t, f.config(), dir, sources, WithClock(clk.Now), WithTokenHTTPClient(f.srv.Client()))
	var ok, failed, childOK, childFailed int64
	var firstErr error
	for round := range expiries {
		clk.Advance(time.Hour)
		// Both processes start on the expired token at once.
		_, err := fmt.Fprintln(toChild, clk.Now().UnixNano())
		require.NoError(t, err)
		o, n, err := hammer(srcs, goroutines, calls)
		ok, failed = ok+o, failed+n
		if firstErr == nil && err != nil {
			firstErr = fmt.Errorf("expiry %d: %w", round+1, err)
		}
		var co, cn int64
		for replies.Scan() {
			if _, err := fmt.Sscanf(replies.Text(), "done %d %d", &co, &cn); err == nil {
				break
			}
		}
		require.NoError(t, replies.Err())
		childOK, childFailed = childOK+co, childFailed+cn
	}
	toChild.Close() // the child ends
	waited = true
	require.NoError(t, cmd.Wait(), "child (stderr: %s)", &stderr)
	t.Logf("2 processes x %d sources x %d goroutines x %d calls x %d expiries: this process %d succeeded, %d failed; child %d succeeded, %d failed; %d refreshes (%d with a superseded token), %d refused",
		sources, goroutines, calls, expiries, ok, failed, childOK, childFailed, f.refreshes.Load(), f.reuses.Load(), f.rejected.Load())
	assert.NoError(t, firstErr)
	want := int64(goroutines * calls * expiries)
	assert.Equal(t, want, ok, "calls that succeeded in this process")
	assert.Equal(t, want, childOK, "calls that succeeded in the child (its errors: %s)", &stderr)
	assert.Equal(t, int64(expiries), f.refreshes.Load(), "refreshes: one per expiry")
	assert.Zero(t, f.reuses.Load(), "refreshes with a superseded refresh token")
	assert.False(t, f.grantRevoked(first), "grant revoked")
}

// refreshChild is the child of TestFileStoreAcrossProcesses. For each time
// it reads from stdin it sets its clock there, makes its calls and answers
// "done <succeeded> <failed>"; failures go to stderr.
func refreshChild(t *testing.T) {
	var sources, goroutines, calls int
	_, err := fmt.Sscanf(os.Getenv("JIRAHOOKS_AUTH_TEST_WORK"), "%d %d %d", &sources, &goroutines, &calls)
	require.NoError(t, err)
	clk := newClock()
	srcs := fileSources(t, fakeConfig(os.Getenv(childURLEnv)), os.Getenv(childDirEnv), sources, WithClock(clk.Now))
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		ns, err := strconv.ParseInt(in.Text(), 10, 64)
		require.NoError(t, err)
		clk.Advance(time.Unix(0, ns).Sub(clk.Now())) // the parent's clock only moves forward
		ok, failed, err := hammer(srcs, goroutines, calls)
		if err != nil {
			fmt.Fprintln(os.Stderr, "child:", err)
		}
		fmt.Printf("done %d %d\n", ok, failed)
	}
}

// crashChild refreshes the token stored in the directory it is given and
// exits with crashExit between the token endpoint's answer and the save.
func crashChild() {
	fs, err := NewFileStore(os.Getenv(childDirEnv))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	ns, _ := strconv.ParseInt(os.Getenv(childNowEnv), 10, 64)
	now := func() time.Time { return time.Unix(0, ns) }
	_, err = NewTokenSource(fakeConfig(os.Getenv(childURLEnv)), crashingStore{fs}, key, WithClock(now)).Token()
	fmt.Fprintln(os.Stderr, "the token source returned instead of crashing:", err)
	os.Exit(1)
}

// crashingStore is a FileStore (and its Locker) whose process dies when it
// is asked to save.
type crashingStore struct{ *FileStore }

func (crashingStore) Save(context.Context, string, *oauth2.Token) error {
	os.Exit(crashExit)
	return nil
}

// crashBeforeSave stores a grant whose access token has expired and has a
// child process refresh it and die before saving the answer. It returns the
// store's directory and the grant's first token, which the store still
// holds.
func crashBeforeSave(t *testing.T, f *fakeAtlassian, clk *jiratest.Clock) (dir string, first *oauth2.Token) {
	t.Helper()
	dir = t.TempDir()
	fs, err := NewFileStore(dir)
	require.NoError(t, err)
	first = f.grant(clk.Now().Add(-time.Minute))
	require.NoError(t, fs.Save(t.Context(), key, first))

	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashBetweenAnswerAndSave$", "-test.count=1")
	cmd.Env = append(os.Environ(), childEnv+"=crash", childDirEnv+"="+dir, childURLEnv+"="+f.srv.URL,
		fmt.Sprintf("%s=%d", childNowEnv, clk.Now().UnixNano()))
	err = cmd.Run()
	var exit *exec.ExitError
	require.True(t, errors.As(err, &exit), "child: %v", err)
	require.Equal(t, crashExit, exit.ExitCode(), "child's exit status")

	require.Equal(t, int64(1), f.refreshes.Load(), "the child's refresh reached the token endpoint")
	stored, err := fs.Load(t.Context(), key)
	require.NoError(t, err)
	require.Equal(t, first.RefreshToken, stored.RefreshToken, "the store still holds the superseded refresh token")
	return dir, first
}

// TestCrashBetweenAnswerAndSave: a process that dies after the token
// endpoint rotated the refresh token and before the store saved the answer
// leaves the superseded refresh token behind. Restarted within Atlassian's
// reuse leeway, the token source refreshes with it and the grant survives;
// restarted after it, the refresh revokes the grant and the source reports
// ErrConsentRequired.
func TestCrashBetweenAnswerAndSave(t *testing.T) {
	t.Parallel()
	if os.Getenv(childEnv) == "crash" {
		crashChild()
		return
	}
	t.Run("restart within the leeway", func(t *testing.T) {
		t.Parallel()
		f := newFakeAtlassian(t)
		clk := newClock()
		f.now = clk.Now
		dir, first := crashBeforeSave(t, f, clk)

		clk.Advance(RefreshReuseLeeway - time.Minute)
		src := fileSources(t, f.config(), dir, 1, WithClock(clk.Now), WithTokenHTTPClient(f.srv.Client()))[0]
		tok, err := src.Token()
		require.NoError(t, err, "restart 9 minutes after the crash")
		assert.NotEqual(t, first.RefreshToken, tok.RefreshToken)
		assert.Equal(t, int64(1), f.reuses.Load(), "refreshes with the superseded token")

		// The grant lives on: the next expiry refreshes as usual.
		clk.Advance(time.Hour)
		_, err = src.Token()
		require.NoError(t, err, "next refresh")
		assert.Equal(t, int64(3), f.refreshes.Load(), "refreshes: the lost one, the reuse, the next")
		assert.False(t, f.grantRevoked(first), "grant revoked")
		t.Logf("restart after %v: %d refreshes (%d reuse), %d refused, revoked %v",
			RefreshReuseLeeway-time.Minute, f.refreshes.Load(), f.reuses.Load(), f.rejected.Load(), f.grantRevoked(first))
	})
	t.Run("restart after the leeway", func(t *testing.T) {
		t.Parallel()
		f := newFakeAtlassian(t)
		clk := newClock()
		f.now = clk.Now
		dir, first := crashBeforeSave(t, f, clk)

		clk.Advance(RefreshReuseLeeway + time.Minute)
		src := fileSources(t, f.config(), dir, 1, WithClock(clk.Now), WithTokenHTTPClient(f.srv.Client()))[0]
		_, err := src.Token()
		require.ErrorIs(t, err, ErrConsentRequired, "restart 11 minutes after the crash")
		assert.True(t, f.grantRevoked(first), "the reuse revoked the grant")
		assertNoSecrets(t, err, first.AccessToken, first.RefreshToken, f.clientSecret)
		t.Logf("restart after %v: %d refreshes, %d refused, revoked %v: %v",
			RefreshReuseLeeway+time.Minute, f.refreshes.Load(), f.rejected.Load(), f.grantRevoked(first), err)
	})
}

// TestFileStoreLockHonoursContext: a lock held by another FileStore value
// in this process, or an OS lock on the key's lock file taken by anyone,
// keeps Lock waiting until its context ends; unlock lets the next holder
// in.
//
// Serial: it counts the entries of the package's table of file locks,
// which the other tests' FileStores use as well.
func TestFileStoreLockHonoursContext(t *testing.T) {
	dir := t.TempDir()
	a, err := NewFileStore(dir)
	require.NoError(t, err)
	b, err := NewFileStore(dir + "/.") // the same directory, spelt otherwise
	require.NoError(t, err)
	waits := func(s *FileStore, msg string) {
		t.Helper()
		ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
		defer cancel()
		unlock, err := s.Lock(ctx, key)
		if err == nil {
			unlock()
		}
		assert.ErrorIs(t, err, context.DeadlineExceeded, msg)
	}
	unlock, err := a.Lock(t.Context(), key)
	require.NoError(t, err)
	waits(b, "Lock of another FileStore on the same directory")

	other, err := b.Lock(t.Context(), "another key")
	require.NoError(t, err, "another key is not locked")
	other()
	unlock()
	unlock() // twice is harmless
	again, err := b.Lock(t.Context(), key)
	require.NoError(t, err, "after unlock")
	again()
	assert.Zero(t, fileLocks.size(), "lock entries left")

	// Another process's lock: the OS file lock alone.
	osLock := flock.New(a.lockPath(key))
	locked, err := osLock.TryLock()
	require.NoError(t, err)
	require.True(t, locked)
	waits(a, "Lock while the OS file lock is held")
	require.NoError(t, osLock.Unlock())
	unlock, err = a.Lock(t.Context(), key)
	require.NoError(t, err, "after the OS file lock was released")
	unlock()
}

// BenchmarkLock: what a refresh pays for FileStore's cross-process lock
// (an open, flock and close of the lock file) against MemoryStore's
// in-process one. Compare the two as a ratio; a refresh itself is an HTTP
// round trip to Atlassian.
func BenchmarkLock(b *testing.B) {
	fs, err := NewFileStore(b.TempDir())
	require.NoError(b, err)
	for _, bc := range []struct {
		name  string
		store Locker
	}{{"MemoryStore", &MemoryStore{}}, {"FileStore", fs}} {
		b.Run(bc.name, func(b *testing.B) {
			ctx := b.Context()
			for b.Loop() {
				unlock, err := bc.store.Lock(ctx, key)
				if err != nil { // require only once failed: its helper bookkeeping would be timed
					require.NoError(b, err, "Lock")
				}
				unlock()
			}
		})
	}
}
