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
// letters, digits, '_' or '-', and not reserved. Names are compared
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
	return NameOK
}

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
