package room

import (
	"strconv"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

const (
	MinNameLen = 2
	MaxNameLen = 16
)

// reserved names could pass for the server speaking.
var reserved = map[string]bool{
	"server": true, "system": true, "admin": true, "root": true, "teacher": true,
	"host": true, "everyone": true, "all": true, "nobody": true,
}

// CheckName says whether name may be a member's name: 2 to 16 ASCII
// letters, digits, '_' or '-', not reserved and not of the form the server
// numbers members with (see Generated). Names are compared
// case-insensitively, so look-alikes from other scripts cannot pass.
func CheckName(name string) NameProblem {
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '_', c == '-':
		default:
			return NameBadChars
		}
	}
	if len(name) < MinNameLen {
		return NameTooShort
	}
	if len(name) > MaxNameLen {
		return NameTooLong
	}
	if reserved[strings.ToLower(name)] {
		return NameReserved
	}
	if Generated(name) {
		return NameGenerated
	}
	return NameOK
}

// generatedPrefixes are the names the server numbers members with: the
// TCP door's Thread-N (the course's own), the web door's Web-N and the
// hub's guest-N. A door that
// numbers its members another way adds its prefix here.
var generatedPrefixes = []string{"thread-", "web-", "guest-"}

// Generated reports whether name has the form of a name the server gives
// (Thread-3, guest-7, in any case). Nobody may choose one, and no key ever
// owns one: the numbering stays the doors', so that the third student on
// the TCP door is Thread-3 as in the course.
func Generated(name string) bool {
	for _, p := range generatedPrefixes {
		if len(name) > len(p) && asciiEqualFold(name[:len(p)], p) && allDigits(name[len(p):]) {
			return true
		}
	}
	return false
}

// GeneratedNumber splits a name of the server's form (see Generated) into
// its lower-cased prefix and its number: "Thread-3" is "thread-", 3.
func GeneratedNumber(name string) (prefix string, n uint64, ok bool) {
	for _, p := range generatedPrefixes {
		if len(name) > len(p) && asciiEqualFold(name[:len(p)], p) && allDigits(name[len(p):]) {
			n, err := strconv.ParseUint(name[len(p):], 10, 64)
			return p, n, err == nil
		}
	}
	return "", 0, false
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// guestName is the name the hub gives member id when it has no usable one.
func guestName(id uint64) string { return "guest-" + strconv.FormatUint(id, 10) }

// nameKey is the form under which names are unique.
func nameKey(name string) string { return strings.ToLower(name) }

// withSuffix returns name with "-n" appended, shortening name so that the
// result stays within MaxNameLen.
func withSuffix(name string, n int) string {
	suffix := "-" + strconv.Itoa(n)
	if len(name)+len(suffix) > MaxNameLen {
		name = name[:MaxNameLen-len(suffix)]
	}
	return name + suffix
}

// maxLoginBytes bounds what NameFrom reads of a login name: a name is 16
// bytes, and a 100 kB user name is someone's test of the server.
const maxLoginBytes = 256

// latin holds the letters that carry no accent to strip, but are letters
// of their own (Unicode does not decompose them): they are written as the
// letters that stand for them in ASCII.
var latin = map[rune]string{
	'ß': "ss", 'ẞ': "SS", 'æ': "ae", 'Æ': "AE", 'œ': "oe", 'Œ': "OE",
	'ø': "o", 'Ø': "O", 'ł': "l", 'Ł': "L", 'đ': "d", 'Đ': "D",
	'ð': "d", 'Ð': "D", 'þ': "th", 'Þ': "Th", 'ı': "i", 'ħ': "h", 'Ħ': "H",
}

// NameFrom makes a member name of a login name, as close to it as names
// allow: letters lose their accents (élodie → elodie, François →
// Francois; ß → ss, œ → oe), whatever else a name may not hold becomes
// "_" (jean.dupont → jean_dupont), a run of them one, none at either
// end; control characters go; the result is cut at MaxNameLen. It may
// still be no name (too short, reserved, of another script entirely):
// CheckName says.
func NameFrom(login string) string {
	if len(login) > maxLoginBytes {
		login = login[:maxLoginBytes] // a rune cut in two is one more separator
	}
	b := make([]byte, 0, MaxNameLen)
	sep := false // a separator is due before the next character
	add := func(s string) {
		if sep && len(b) > 0 && b[len(b)-1] != '-' && s[0] != '-' && s[0] != '_' {
			b = append(b, '_')
		}
		sep = false
		b = append(b, s...)
	}
	for _, r := range login {
		if len(b) >= MaxNameLen {
			break
		}
		if r < 0x80 && nameRune(r) {
			add(string(r))
			continue
		}
		if s, ok := latin[r]; ok {
			add(s)
			continue
		}
		if unicode.Is(unicode.Cc, r) || unicode.Is(unicode.Cf, r) {
			continue
		}
		// é is e and a combining accent once decomposed: keep the e.
		kept := false
		for _, d := range norm.NFD.String(string(r)) {
			if d < 0x80 && nameRune(d) {
				add(string(d))
				kept = true
			}
		}
		if !kept && !unicode.Is(unicode.Mn, r) {
			sep = true
		}
	}
	b = b[:min(len(b), MaxNameLen)]
	return strings.TrimRight(string(b), "_")
}

// nameRune says whether r, an ASCII character, may be in a name.
func nameRune(r rune) bool {
	return 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || r == '_' || r == '-'
}

// Mentions reports whether text holds name as a word, ignoring case. Names
// are ASCII letters, digits, '_' and '-', so a word ends at anything else.
func Mentions(text, name string) bool {
	if name == "" {
		return false
	}
	for i := 0; i+len(name) <= len(text); i++ {
		if i > 0 && nameRune(rune(text[i-1])) {
			continue
		}
		if !strings.EqualFold(text[i:i+len(name)], name) {
			continue
		}
		if j := i + len(name); j == len(text) || !nameRune(rune(text[j])) {
			return true
		}
	}
	return false
}
