package room

import (
	"strings"
	"testing"
)

func TestCheckName(t *testing.T) {
	tests := []struct {
		name string
		want NameProblem
	}{
		// Valid.
		{"al", NameOK},
		{"alice", NameOK},
		{"Bob_42", NameOK},
		{"a-b", NameOK},
		{"__", NameOK},
		{"42", NameOK},
		{"guest", NameOK},
		{"guest-", NameOK},
		{"guest-7a", NameOK},
		{"guest7", NameOK},
		{"Thread-x", NameOK},
		{"Thread_3", NameOK},
		{"myThread-3", NameOK},
		{"Thread-3-2", NameOK},
		{"all-2", NameOK},  // a reserved name with a suffix is fine
		{"rooted", NameOK}, // contains a reserved name
		{"administrator", NameOK},
		{strings.Repeat("x", MaxNameLen), NameOK},

		// Length.
		{"", NameTooShort},
		{"a", NameTooShort},
		{strings.Repeat("x", MaxNameLen+1), NameTooLong},
		{"abcdefghijklmnopq", NameTooLong}, // 17
		{"ééééééééé", NameBadChars},        // 9 characters, 18 bytes: the characters are the problem

		// Characters.
		{"al ice", NameBadChars},
		{" alice", NameBadChars},
		{"alice\t", NameBadChars},
		{"\u0430lice", NameBadChars},  // Cyrillic а (U+0430) looks like Latin a
		{"ali\u200bce", NameBadChars}, // zero-width space
		{"josé", NameBadChars},
		{"zoë", NameBadChars},
		{"é1", NameBadChars},
		{"😀x", NameBadChars},
		{"a.b", NameBadChars},
		{"a@b", NameBadChars},
		{"a/b", NameBadChars},
		{"ab\x00", NameBadChars},
		{"ab\x1b", NameBadChars},
		{"ab\xff", NameBadChars},

		// Reserved, in any case.
		{"admin", NameReserved},
		{"Admin", NameReserved},
		{"ROOT", NameReserved},
		{"server", NameReserved},
		{"System", NameReserved},
		{"TeAcHeR", NameReserved},
		{"host", NameReserved},
		{"EVERYONE", NameReserved},
		{"all", NameReserved},
		{"Nobody", NameReserved},

		// The server's numbering, in any case: the doors give these.
		{"Thread-3", NameGenerated},
		{"thread-12", NameGenerated},
		{"THREAD-007", NameGenerated},
		{"guest-7", NameGenerated},
		{"Guest-1234567890", NameGenerated},
	}
	for _, tt := range tests {
		if got := CheckName(tt.name); got != tt.want {
			t.Errorf("CheckName(%q) = %d; want %d", tt.name, got, tt.want)
		}
	}
}

func TestNameKeyCaseInsensitive(t *testing.T) {
	if nameKey("Alice") != nameKey("aLICE") {
		t.Errorf("nameKey(Alice) = %q, nameKey(aLICE) = %q; want equal", nameKey("Alice"), nameKey("aLICE"))
	}
	if nameKey("alice") == nameKey("alice-2") {
		t.Error("nameKey(alice) == nameKey(alice-2)")
	}
}

func TestWithSuffix(t *testing.T) {
	tests := []struct {
		name string
		n    int
		want string
	}{
		{"alice", 2, "alice-2"},
		{"ALICE", 3, "ALICE-3"},
		{"al", 12345, "al-12345"},
		{"abcdefghijklmn", 2, "abcdefghijklmn-2"},    // 14+2 = 16: kept whole
		{"abcdefghijklmno", 2, "abcdefghijklmn-2"},   // 15+2 = 17: shortened
		{"abcdefghijklmnop", 2, "abcdefghijklmn-2"},  // 16
		{"abcdefghijklmnop", 10, "abcdefghijklm-10"}, // longer suffix, shorter name
		{"abcdefghijklmnop", 999, "abcdefghijkl-999"},
	}
	for _, tt := range tests {
		if got := withSuffix(tt.name, tt.n); got != tt.want {
			t.Errorf("withSuffix(%q, %d) = %q; want %q", tt.name, tt.n, got, tt.want)
		}
	}
}

// TestWithSuffixStaysValid checks, for every valid name length and a range
// of suffixes, that the result is a valid name within MaxNameLen that starts
// with a prefix of the name.
func TestWithSuffixStaysValid(t *testing.T) {
	for l := MinNameLen; l <= MaxNameLen; l++ {
		name := strings.Repeat("n", l)
		for _, n := range []int{2, 9, 10, 99, 100, 1000, 123456} {
			got := withSuffix(name, n)
			if len(got) > MaxNameLen {
				t.Errorf("withSuffix(%q, %d) = %q: %d bytes > %d", name, n, got, len(got), MaxNameLen)
			}
			if p := CheckName(got); p != NameOK {
				t.Errorf("withSuffix(%q, %d) = %q: CheckName = %d", name, n, got, p)
			}
			prefix, _, ok := strings.Cut(got, "-")
			if !ok || !strings.HasPrefix(name, prefix) || prefix == "" {
				t.Errorf("withSuffix(%q, %d) = %q: not a prefix of the name plus a suffix", name, n, got)
			}
		}
	}
}

func TestNameFrom(t *testing.T) {
	for _, tt := range []struct{ login, want string }{
		{"alice", "alice"},
		{"élodie", "elodie"},
		{"François", "Francois"},
		{"ÉLODIE", "ELODIE"},
		{"jean.dupont", "jean_dupont"},
		{"jean-.dupont", "jean-dupont"},
		{"Jürgen", "Jurgen"},
		{"Groß", "Gross"},
		{"Lætitia", "Laetitia"},
		{"Œdipe", "OEdipe"},
		{"Søren", "Soren"},
		{"Łukasz", "Lukasz"},
		{"Đorđe", "Dorde"},
		{"Zoë Ångström", "Zoe_Angstrom"},
		{"o'brien", "o_brien"},
		{"..alice..", "alice"},
		{"al  ice", "al_ice"},
		{"e\u0301lodie", "elodie"}, // e and a combining accent
		{"a\u200bb", "ab"},         // a zero-width space is no separator
		{"bob\r\n*** admin joined", "bob_admin_joined"},
		{"иван", ""},
		{"\u0430lice", "lice"}, // a Cyrillic а
		{"abcdefghijklmnopqrstuvwxyz", "abcdefghijklmnop"},
		{"abcdefghijklmno.p", "abcdefghijklmno"}, // no separator left at the end
		{"ßßßßßßßßßß", "ssssssssssssssss"},
		{"", ""},
		{strings.Repeat("é", 100000), "eeeeeeeeeeeeeeee"},
	} {
		got := NameFrom(tt.login)
		if got != tt.want {
			t.Errorf("NameFrom(%q) = %q; want %q", tt.login, got, tt.want)
		}
		if got != "" && CheckName(got) != NameOK && CheckName(got) != NameReserved {
			t.Errorf("NameFrom(%q) = %q: %v", tt.login, got, CheckName(got))
		}
	}
}

func TestMentions(t *testing.T) {
	for text, want := range map[string]bool{
		"hi carol": true, "CAROL!": true, "@carol:": true, "carol": true, "é carol é": true,
		"caroline": false, "xcarol": false, "carol_": false, "carol-2": false, "": false, "caro": false,
	} {
		if got := Mentions(text, "carol"); got != want {
			t.Errorf("Mentions(%q) = %v, want %v", text, got, want)
		}
	}
}
