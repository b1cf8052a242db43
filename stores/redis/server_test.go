package redisstore_test

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"
)

// redisServer is a redis-server process on a loopback port, private to one
// test, without persistence unless started with startRedisAOF.
type redisServer struct {
	t    testing.TB
	path string
	port int
	dir  string
	aof  bool // append-only file, fsynced on every write

	mu  sync.Mutex
	cmd *exec.Cmd
	out *bytes.Buffer
}

// startRedis starts a redis-server for t and stops it when t ends. Without
// redis-server on PATH the test is skipped, unless the CI variable is set:
// then it fails, since CI must install it (see .ci/redis-server).
func startRedis(t testing.TB) *redisServer {
	t.Helper()
	return newRedis(t, false)
}

// startRedisAOF is startRedis with persistence as a production Redis that
// must not lose a write has it: appendonly yes, appendfsync always. A
// restart reloads what the killed server had acknowledged.
func startRedisAOF(t testing.TB) *redisServer {
	t.Helper()
	return newRedis(t, true)
}

func newRedis(t testing.TB, aof bool) *redisServer {
	t.Helper()
	path, err := exec.LookPath("redis-server")
	if err != nil {
		require.Empty(t, os.Getenv("CI"), "redis-server not found on PATH, and CI is set: install it (apt-get install redis-server, as .ci/redis-server does): %v", err)
		t.Skip("redis-server not found on PATH, so this test of the Redis stores did not run; install it (apt-get install redis-server, or bash .ci/redis-server) and run again")
	}
	s := &redisServer{t: t, path: path, port: freePort(t), dir: t.TempDir(), aof: aof}
	s.start()
	t.Cleanup(s.stop)
	return s
}

// freePort returns a loopback TCP port nobody listens on.
func freePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// Addr returns the server's host:port.
func (s *redisServer) Addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port)) }

// start runs redis-server and waits until it answers PING.
func (s *redisServer) start() {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	out := &bytes.Buffer{}
	persistence := []string{"--appendonly", "no"}
	if s.aof {
		persistence = []string{"--appendonly", "yes", "--appendfsync", "always"}
	}
	args := append([]string{
		"--port", strconv.Itoa(s.port), "--bind", "127.0.0.1",
		"--save", "", "--dir", s.dir,
		"--daemonize", "no", "--loglevel", "warning",
	}, persistence...)
	cmd := exec.Command(s.path, args...)
	cmd.Stdout, cmd.Stderr = out, out
	require.NoError(s.t, cmd.Start(), "starting redis-server")
	s.cmd, s.out = cmd, out
	c := redis.NewClient(&redis.Options{Addr: s.Addr(), MaxRetries: -1, DialTimeout: time.Second})
	defer c.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(s.t.Context(), time.Second)
		err := c.Ping(ctx).Err()
		cancel()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			cmd.Wait()
			require.FailNow(s.t, "redis-server did not come up", "port %d: %v\n%s", s.port, err, out)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// stop kills redis-server (as a crash would: nothing is saved) and waits
// for it to exit.
func (s *redisServer) stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return
	}
	s.cmd.Process.Kill()
	s.cmd.Wait()
	s.cmd = nil
}

// restart kills redis-server and starts a new one on the same port: empty,
// or with what the append-only file holds.
func (s *redisServer) restart() {
	s.t.Helper()
	s.stop()
	s.start()
}

// client returns a new client of the server, with a connection pool of its
// own as another replica would have, closed when the test ends.
func (s *redisServer) client(t testing.TB) *redis.Client {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: s.Addr(), DialTimeout: time.Second})
	t.Cleanup(func() { c.Close() })
	return c
}

// clientWithoutRetries is client without go-redis's retries, for a check
// that only needs to see a command fail against a stopped server.
func (s *redisServer) clientWithoutRetries(t testing.TB) *redis.Client {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: s.Addr(), DialTimeout: time.Second, MaxRetries: -1})
	t.Cleanup(func() { c.Close() })
	return c
}

// String describes the server for test logs.
func (s *redisServer) String() string { return fmt.Sprintf("redis-server on %s", s.Addr()) }

// eventually calls cond until it reports true, failing t after timeout.
func eventually(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			require.FailNow(t, "timed out", "after %v waiting for %s", timeout, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
