package main

import (
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"palabre/sshui"
)

// startBinaryTerminal runs the real program as a teacher does in a terminal:
// standard output and standard error on one stream, so that the order of
// what they write shows. It returns the lines up to the "palabre started"
// log line, that one included, and the data directory.
func startBinaryTerminal(t *testing.T, env ...string) ([]string, string) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	cmd := exec.Command(os.Args[0])
	cmd.Dir = t.TempDir()
	cmd.Env = append(os.Environ(), "PALABRE_TEST_BE_MAIN=1", "PALABRE_LOG_LEVEL=info", "PALABRE_HTTP_ADDR=127.0.0.1:0")
	cmd.Env = append(cmd.Env, env...)
	cmd.Stdout, cmd.Stderr = w, w
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	lines := lineReader(r)
	var got []string
	deadline := time.After(patience)
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("the server exited before starting: %q", got)
			}
			got = append(got, l)
			if strings.Contains(l, `msg="palabre started"`) {
				return got, filepath.Join(cmd.Dir, "data")
			}
		case <-deadline:
			t.Fatalf("no start line; so far %q", got)
		}
	}
}

// The teacher reads first, in the room's language, the commands to give
// students on every address of the machine, and the host key's
// fingerprint; the log line comes after, for the record.
func TestStartupTellsHowToJoin(t *testing.T) {
	// The addresses students can use when the doors listen on every interface.
	var ips []string
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range addrs {
		if ip, ok := netip.AddrFromSlice(a.(*net.IPNet).IP); ok && ip.Unmap().IsGlobalUnicast() {
			ips = append(ips, ip.Unmap().String())
		}
	}
	tests := []struct {
		lang, running, tcpDoor, fingerprint string
	}{
		{"en", "Students join it with", "TCP door, port", "The SSH host key's fingerprint"},
		{"fr", "Les élèves le rejoignent", "Porte TCP, port", "L'empreinte de la clé d'hôte SSH"},
	}
	for _, tt := range tests {
		t.Run(tt.lang+"/every interface", func(t *testing.T) {
			lines, dataDir := startBinaryTerminal(t, "PALABRE_LANG="+tt.lang, "PALABRE_TCP_ADDR=:0", "PALABRE_SSH_ADDR=:0", "PALABRE_HTTP_ADDR=:0")
			log := lines[len(lines)-1]
			m := regexp.MustCompile(`tcp=\S*:(\d+) ssh=\S*:(\d+)`).FindStringSubmatch(log)
			if m == nil {
				t.Fatalf("log line %q: no ports", log)
			}
			tcpPort, sshPort := m[1], m[2]
			block := strings.Join(lines[:len(lines)-1], "\n")
			for _, want := range []string{tt.running, tt.tcpDoor + " " + tcpPort, tt.fingerprint, fingerprintOf(t, dataDir)} {
				if !strings.Contains(block, want) {
					t.Errorf("before the log line, no %q in:\n%s", want, block)
				}
			}
			for _, ip := range ips {
				want := []string{"nc " + ip + " " + tcpPort, "ssh -p " + sshPort + " " + ip}
				if !strings.Contains(ip, ":") {
					want = append(want, "python3 client.py "+ip+" "+tcpPort)
				}
				for _, w := range want {
					if !strings.Contains(block, "    "+w+"\n") {
						t.Errorf("no command %q in:\n%s", w, block)
					}
				}
			}
			if strings.Contains(block, "127.0.0.1") || strings.Contains(block, "seq=") || strings.Contains(block, "level=") {
				t.Errorf("loopback or log jargon in what the teacher reads first:\n%s", block)
			}
		})
		t.Run(tt.lang+"/one address", func(t *testing.T) {
			lines, _ := startBinaryTerminal(t, "PALABRE_LANG="+tt.lang, "PALABRE_TCP_ADDR=127.0.0.1:0", "PALABRE_SSH_ADDR=127.0.0.1:0")
			m := regexp.MustCompile(`tcp=127.0.0.1:(\d+) ssh=127.0.0.1:(\d+) http=127.0.0.1:(\d+)`).FindStringSubmatch(lines[len(lines)-1])
			if m == nil {
				t.Fatalf("log line %q: no ports", lines[len(lines)-1])
			}
			block := strings.Join(lines, "\n")
			for _, want := range []string{"nc 127.0.0.1 " + m[1], "python3 client.py 127.0.0.1 " + m[1], "ssh -p " + m[2] + " 127.0.0.1",
				"http://127.0.0.1:" + m[3] + "/", "http://127.0.0.1:" + m[3] + "/healthz", "http://127.0.0.1:" + m[3] + "/metrics"} {
				if !strings.Contains(block, "    "+want+"\n") {
					t.Errorf("no command %q in:\n%s", want, block)
				}
			}
			for _, ip := range ips {
				if strings.Contains(block, " "+ip+" ") || strings.HasSuffix(block, " "+ip) {
					t.Errorf("%s listed, but the doors listen on 127.0.0.1 only:\n%s", ip, block)
				}
			}
		})
	}
}

// fingerprintOf reads the host key the server made, as ssh would show it.
func fingerprintOf(t *testing.T, dataDir string) string {
	t.Helper()
	pem, err := os.ReadFile(filepath.Join(dataDir, sshui.HostKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	signer, err := gossh.ParsePrivateKey(pem)
	if err != nil {
		t.Fatal(err)
	}
	return gossh.FingerprintSHA256(signer.PublicKey())
}
