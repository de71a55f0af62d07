package kissmon

import (
	"bufio"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// testMonitor is a real monitor for tests: a Unix listener that records
// every line it reads. It can go down and come back, and stop reading.
type testMonitor struct {
	path string

	mu       sync.Mutex
	changed  *sync.Cond // lines arrived, or reading resumed
	listener net.Listener
	conns    []net.Conn
	lines    []string
	taken    int
	accepted int
	stuck    bool
}

// newTestMonitor returns a monitor for a fresh short socket path, not listening yet.
func newTestMonitor(t testing.TB) *testMonitor {
	dir, err := os.MkdirTemp("", "kmgo")
	if err != nil {
		t.Fatal(err)
	}
	m := newMonitorAt(filepath.Join(dir, "m.sock"))
	t.Cleanup(func() {
		m.down()
		os.RemoveAll(dir)
	})
	return m
}

func startTestMonitor(t testing.TB) *testMonitor {
	m := newTestMonitor(t)
	m.up(t)
	return m
}

// newMonitorAt returns a monitor for path, not listening yet.
func newMonitorAt(path string) *testMonitor {
	m := &testMonitor{path: path}
	m.changed = sync.NewCond(&m.mu)
	return m
}

// monitorAt returns a monitor listening on path.
func monitorAt(path string) (*testMonitor, error) {
	m := newMonitorAt(path)
	return m, m.listen()
}

func (m *testMonitor) up(t testing.TB) {
	if err := m.listen(); err != nil {
		t.Fatal(err)
	}
}

func (m *testMonitor) listen() error {
	listener, err := net.Listen("unix", m.path)
	if err != nil {
		return err
	}
	m.mu.Lock()
	m.listener = listener
	m.mu.Unlock()
	go func() {
		for {
			conn, err := listener.Accept()
			if err != nil {
				return
			}
			m.mu.Lock()
			m.conns = append(m.conns, conn)
			m.accepted++
			m.mu.Unlock()
			go m.read(conn)
		}
	}()
	return nil
}

func (m *testMonitor) read(conn net.Conn) {
	reader := bufio.NewReaderSize(conn, 64*1024)
	for {
		m.mu.Lock()
		for m.stuck {
			m.changed.Wait()
		}
		m.mu.Unlock()
		line, err := reader.ReadString('\n')
		if err != nil {
			return // closed, or cut short by a closing peer
		}
		m.mu.Lock()
		m.lines = append(m.lines, strings.TrimRight(line, "\n"))
		m.changed.Broadcast()
		m.mu.Unlock()
	}
}

// down goes away like a killed monitor: listener and connections closed, socket file removed.
func (m *testMonitor) down() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.listener != nil {
		m.listener.Close()
		m.listener = nil
	}
	for _, conn := range m.conns {
		conn.Close()
	}
	m.conns = nil
	os.Remove(m.path)
}

// stopReading makes the monitor accept but never read, until resumeReading.
func (m *testMonitor) stopReading() {
	m.mu.Lock()
	m.stuck = true
	m.mu.Unlock()
}

func (m *testMonitor) resumeReading() {
	m.mu.Lock()
	m.stuck = false
	m.changed.Broadcast()
	m.mu.Unlock()
}

// take waits up to timeout until n lines arrived since the last take, then
// returns every such line.
func (m *testMonitor) take(n int, timeout time.Duration) []string {
	deadline := time.Now().Add(timeout)
	wake := time.AfterFunc(timeout, func() {
		m.mu.Lock()
		m.changed.Broadcast()
		m.mu.Unlock()
	})
	defer wake.Stop()
	m.mu.Lock()
	defer m.mu.Unlock()
	for len(m.lines)-m.taken < n && time.Now().Before(deadline) {
		m.changed.Wait()
	}
	lines := append([]string(nil), m.lines[m.taken:]...)
	m.taken = len(m.lines)
	return lines
}

// delivered flushes client and returns every line the monitor got, once it
// has read all that client wrote: an event, not a quiet period.
func delivered(t testing.TB, m *testMonitor, client *Client) []string {
	t.Helper()
	flush(t, client)
	sent := int(client.Stats().Sent)
	if err := waitFor(5*time.Second, func() bool { return len(m.allLines()) >= sent }); err != nil {
		t.Fatalf("the monitor read %d of %d lines", len(m.allLines()), sent)
	}
	return m.allLines()
}

func (m *testMonitor) allLines() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]string(nil), m.lines...)
}

var errTimeout = errors.New("timed out")

// waitFor polls cond for up to timeout.
func waitFor(timeout time.Duration, cond func() bool) error {
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			return errTimeout
		}
		time.Sleep(2 * time.Millisecond)
	}
	return nil
}
