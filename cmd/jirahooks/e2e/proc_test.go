package e2e_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// wait bounds every wait for a process's output or exit.
const wait = 20 * time.Second

// binary is the jirahooks program TestMain builds.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "jirahooks-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	binary = filepath.Join(dir, "jirahooks")
	if runtime.GOOS == "windows" {
		binary += ".exe"
	}
	build := exec.Command("go", "build", "-o", binary, "..")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building jirahooks:", err)
		os.RemoveAll(dir)
		os.Exit(2)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// environ is the environment of a child: this process's without any JIRA_
// variable, plus env.
func environ(env map[string]string) []string {
	var out []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "JIRA_") {
			out = append(out, kv)
		}
	}
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	return out
}

// result is what one finished run left.
type result struct {
	code           int
	stdout, stderr string
}

// jh runs jirahooks to the end, within the wait bound.
func jh(t *testing.T, env map[string]string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), wait)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Env = environ(env)
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		require.True(t, ok, "jirahooks %s: %v", strings.Join(args, " "), err)
		code = ee.ExitCode()
	}
	return result{code, out.String(), errb.String()}
}

// proc is a running jirahooks, such as fake or listen.
type proc struct {
	cmd            *exec.Cmd
	stdout, stderr *stream
	done           chan struct{}
	code           int
}

// start runs jirahooks in the background; the test's cleanup interrupts it
// and, should it linger, kills it.
func start(t *testing.T, env map[string]string, args ...string) *proc {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = environ(env)
	outR, err := cmd.StdoutPipe()
	require.NoError(t, err)
	errR, err := cmd.StderrPipe()
	require.NoError(t, err)
	p := &proc{cmd: cmd, stdout: newStream(outR), stderr: newStream(errR), done: make(chan struct{})}
	require.NoError(t, cmd.Start())
	go func() {
		p.stdout.wg.Wait() // read everything before Wait closes the pipes
		p.stderr.wg.Wait()
		_ = cmd.Wait()
		p.code = cmd.ProcessState.ExitCode()
		close(p.done)
	}()
	t.Cleanup(func() { p.stop(t) })
	return p
}

// stop interrupts the process, as Ctrl-C does, and returns its exit code.
func (p *proc) stop(t *testing.T) int {
	t.Helper()
	select {
	case <-p.done:
		return p.code
	default:
	}
	_ = p.cmd.Process.Signal(os.Interrupt)
	select {
	case <-p.done:
	case <-time.After(wait):
		_ = p.cmd.Process.Kill()
		<-p.done
		assert.Fail(t, "ignored the interrupt and was killed", "jirahooks %s", strings.Join(p.cmd.Args[1:], " "))
	}
	return p.code
}

// stream collects a process's output as it comes.
type stream struct {
	mu      sync.Mutex
	b       strings.Builder
	changed chan struct{}
	wg      sync.WaitGroup
}

func newStream(r io.Reader) *stream {
	s := &stream{changed: make(chan struct{})}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			s.mu.Lock()
			s.b.WriteString(sc.Text() + "\n")
			close(s.changed)
			s.changed = make(chan struct{})
			s.mu.Unlock()
		}
	}()
	return s
}

func (s *stream) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// waitFor waits until the output matches re, and returns the submatches.
func (s *stream) waitFor(t *testing.T, re string) []string {
	t.Helper()
	rx := regexp.MustCompile(re)
	guard := time.After(wait)
	for {
		s.mu.Lock()
		m := rx.FindStringSubmatch(s.b.String())
		ch := s.changed
		s.mu.Unlock()
		if m != nil {
			return m
		}
		select {
		case <-ch:
		case <-guard:
			require.FailNow(t, "output never matched", "%q:\n%s", re, s.String())
		}
	}
}

// exports matches one export line of jirahooks fake.
var exports = regexp.MustCompile(`(?m)^export (JIRA_[A-Z_]+)=(\S*)$`)

// fake starts jirahooks fake on a free port and returns its environment,
// read from the export lines it prints.
func fake(t *testing.T, args ...string) (*proc, map[string]string) {
	t.Helper()
	p := start(t, nil, append([]string{"fake", "--addr", "127.0.0.1:0"}, args...)...)
	p.stdout.waitFor(t, `(?m)^export JIRA_AUTH=.*$`) // the last line
	env := map[string]string{}
	for _, m := range exports.FindAllStringSubmatch(p.stdout.String(), -1) {
		env[m[1]] = m[2]
	}
	for _, k := range []string{"JIRA_BASE_URL", "JIRA_ACCESS_TOKEN", "JIRA_CLIENT_SECRET", "JIRA_APP_KEY", "JIRA_SHARED_SECRET", "JIRA_EMAIL", "JIRA_API_TOKEN"} {
		require.NotEmpty(t, env[k], "jirahooks fake printed no %s:\n%s", k, p.stdout.String())
	}
	return p, env
}

// listen starts jirahooks listen on a free port with the verifier flags
// and returns it with the URL it receives on.
func listen(t *testing.T, verifier ...string) (*proc, string) {
	t.Helper()
	p := start(t, nil, append([]string{"listen", "--addr", "127.0.0.1:0"}, verifier...)...)
	url := p.stderr.waitFor(t, `listening on (http://\S+/),`)[1]
	return p, url
}
