package room

import (
	"strconv"
	"strings"
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
// TCP door's Thread-N (the course's own) and the hub's guest-N. A door that
// numbers its members another way adds its prefix here.
var generatedPrefixes = []string{"thread-", "guest-"}

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
