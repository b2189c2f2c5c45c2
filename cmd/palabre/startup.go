package main

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	gossh "golang.org/x/crypto/ssh"

	"palabre/room"
	"palabre/sshui"
)

// startupText is what the teacher reads when the server starts, in the
// room's language: how students join, and the key ssh will ask them to
// trust. The log line that follows it is for the record.
type startupText struct {
	running, tcpDoor, sshDoor, webDoor, onlyHere, noAddress, fingerprint, noKey, monitoring string
}

var startupTexts = map[room.Lang]startupText{
	room.LangEN: {
		running:     "palabre is running. Students join it with one of these commands:",
		tcpDoor:     "  TCP door, port %d (nc, the course's client.py):",
		sshDoor:     "  SSH door, port %d (a full-screen chat):",
		webDoor:     "  In a browser, port %d (a phone, a tablet, a lab machine without a terminal):",
		onlyHere:    "    (this address is reachable from this machine only)",
		noAddress:   "    (this machine has no network address but loopback: only it can join)",
		fingerprint: "The SSH host key's fingerprint, which ssh shows students at their first connection:",
		noKey:       "no SSH host key in %s yet: the server makes one when it first starts",
		monitoring:  "Health and metrics, for monitoring (not for students), port %d:",
	},
	room.LangFR: {
		running:     "palabre est lancé. Les élèves le rejoignent avec l'une de ces commandes :",
		tcpDoor:     "  Porte TCP, port %d (nc, le client.py du cours) :",
		sshDoor:     "  Porte SSH, port %d (un chat plein écran) :",
		webDoor:     "  Dans un navigateur, port %d (un téléphone, une tablette, un poste sans terminal) :",
		onlyHere:    "    (cette adresse n'est joignable que depuis cette machine)",
		noAddress:   "    (cette machine n'a pas d'adresse réseau hors loopback : elle seule peut s'y connecter)",
		fingerprint: "L'empreinte de la clé d'hôte SSH, que ssh montre aux élèves à leur première connexion :",
		noKey:       "pas encore de clé d'hôte SSH dans %s : le serveur en crée une à son premier démarrage",
		monitoring:  "Santé et métriques, pour la supervision (pas pour les élèves), port %d :",
	},
}

func textsFor(l room.Lang) startupText {
	if t, ok := startupTexts[l]; ok {
		return t
	}
	return startupTexts[room.LangEN]
}

// joinCommands is one block of the start-up text: a door's title, its
// address, and the commands (or URLs) that reach it from a host.
type joinCommands struct {
	title string
	addr  net.Addr
	cmds  func(host, port string, v6 bool) []string
}

// writeStartup writes the block the teacher reads first: for each door,
// the exact commands students type, on every address they can reach it by,
// and the SSH host key's fingerprint; then, when the HTTP listener is on
// (httpAddr not nil), its URLs for the school's monitoring.
func writeStartup(w io.Writer, lang room.Lang, dataDir string, tcpAddr, sshAddr, httpAddr net.Addr, metrics bool) error {
	t := textsFor(lang)
	var b strings.Builder
	b.WriteString(t.running + "\n")
	doors := []joinCommands{
		{t.tcpDoor, tcpAddr, func(host, port string, v6 bool) []string {
			cmds := []string{"nc " + host + " " + port}
			if !v6 { // the course's client opens an IPv4 socket
				cmds = append(cmds, "python3 client.py "+host+" "+port)
			}
			return cmds
		}},
		{t.sshDoor, sshAddr, func(host, port string, _ bool) []string {
			return []string{"ssh -p " + port + " " + host}
		}},
	}
	if httpAddr != nil {
		doors = append(doors, joinCommands{t.webDoor, httpAddr, func(host, port string, _ bool) []string {
			return []string{"http://" + net.JoinHostPort(host, port) + "/"}
		}}, joinCommands{t.monitoring, httpAddr, func(host, port string, _ bool) []string {
			base := "http://" + net.JoinHostPort(host, port)
			if !metrics {
				return []string{base + "/healthz"}
			}
			return []string{base + "/healthz", base + "/metrics"}
		}})
	}
	for _, d := range doors {
		ap, err := netip.ParseAddrPort(d.addr.String())
		if err != nil {
			return err
		}
		port := strconv.Itoa(int(ap.Port()))
		fmt.Fprintf(&b, d.title+"\n", ap.Port())
		hosts, err := joinAddrs(ap.Addr())
		if err != nil {
			return err
		}
		for _, h := range hosts {
			for _, c := range d.cmds(h.String(), port, h.Is6()) {
				b.WriteString("    " + c + "\n")
			}
		}
		switch {
		case len(hosts) == 0:
			b.WriteString(t.noAddress + "\n")
		case len(hosts) == 1 && hosts[0].IsLoopback():
			b.WriteString(t.onlyHere + "\n")
		}
	}
	fp, err := hostKeyFingerprint(dataDir)
	if err != nil {
		return err
	}
	b.WriteString(t.fingerprint + "\n    " + fp + "\n")
	_, err = io.WriteString(w, b.String())
	return err
}

// joinAddrs lists the addresses students can reach a door bound to addr
// by: addr itself, or, bound to every interface, the machine's addresses
// but loopback and link-local (which need a zone), IPv4 first.
func joinAddrs(addr netip.Addr) ([]netip.Addr, error) {
	addr = addr.Unmap()
	if !addr.IsUnspecified() {
		return []netip.Addr{addr}, nil
	}
	all, err := net.InterfaceAddrs()
	if err != nil {
		return nil, fmt.Errorf("listing the machine's addresses: %w", err)
	}
	var hosts []netip.Addr
	for _, a := range all {
		n, ok := a.(*net.IPNet)
		if !ok {
			continue
		}
		ip, ok := netip.AddrFromSlice(n.IP)
		if !ok {
			continue
		}
		ip = ip.Unmap()
		// 0.0.0.0 listens on IPv4 only; :: (and ":12800") on both.
		if !ip.IsGlobalUnicast() || (addr.Is4() && !ip.Is4()) || slices.Contains(hosts, ip) {
			continue
		}
		hosts = append(hosts, ip)
	}
	slices.SortStableFunc(hosts, func(a, b netip.Addr) int {
		switch {
		case a.Is4() == b.Is4():
			return 0
		case a.Is4():
			return -1
		}
		return 1
	})
	return hosts, nil
}

// errNoHostKey: the server has not run yet with this data directory.
var errNoHostKey = errors.New("no host key")

// hostKeyFingerprint reads the SSH host key under dataDir, without making
// one, and returns its SHA256 fingerprint as ssh shows it.
func hostKeyFingerprint(dataDir string) (string, error) {
	path := filepath.Join(dataDir, sshui.HostKeyFile)
	pem, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return "", errNoHostKey
	}
	if err != nil {
		return "", err
	}
	signer, err := gossh.ParsePrivateKey(pem)
	if err != nil {
		return "", fmt.Errorf("%s: %w", path, err)
	}
	return gossh.FingerprintSHA256(signer.PublicKey()), nil
}
