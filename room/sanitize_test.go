package room

import (
	"testing"
	"unicode"
	"unicode/utf8"
)

func TestSanitize(t *testing.T) {
	const rep = "\uFFFD"
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"empty", "", ""},
		{"plain ASCII", "Hello, world! 123 ~{}", "Hello, world! 123 ~{}"},
		{"tab becomes space", "a\tb\t\tc", "a b  c"},
		{"ESC dropped from SGR", "\x1b[31mred", "[31mred"},
		{"ESC dropped everywhere", "\x1b[2J\x1b[Hx\x1b]0;title\x07", "[2J[Hx]0;title"},
		{"CR dropped", "line\r", "line"},
		{"CR LF dropped", "a\r\nb", "ab"},
		{"other C0 dropped", "a\x00b\x07c\x08d\x0ce", "abcde"},
		{"DEL dropped", "a\x7fb", "ab"},

		// Invalid UTF-8: one U+FFFD per byte utf8.DecodeRuneInString rejects.
		{"lone continuation byte", "a\x80b", "a" + rep + "b"},
		{"two continuation bytes", "\xbf\xbf", rep + rep},
		{"truncated 2-byte", "a\xc3", "a" + rep},
		{"truncated 2-byte then ASCII", "\xc3x", rep + "x"},
		{"truncated 3-byte", "\xe2\x82", rep + rep},
		{"truncated 3-byte then ASCII", "\xe2\x82x", rep + rep + "x"},
		{"truncated 4-byte", "\xf0\x9f\x98", rep + rep + rep},
		{"overlong slash", "\xc0\xaf", rep + rep},
		{"overlong 3-byte", "\xe0\x80\xaf", rep + rep + rep},
		{"surrogate half", "\xed\xa0\x80", rep + rep + rep},
		{"above U+10FFFF", "\xf4\x90\x80\x80", rep + rep + rep + rep},
		{"0xFF", "\xff", rep},
		{"0xFE 0xFF", "a\xfe\xffb", "a" + rep + rep + "b"},
		{"valid U+FFFD kept", rep, rep},

		// C1 controls, encoded as UTF-8.
		{"C1 NEL", "a\u0085b", "ab"},
		{"C1 CSI", "\u009b31mred", "31mred"},
		{"C1 range", "\u0080\u009f", ""},
		{"Latin-1 after C1 kept", "\u00a0\u00e9", "\u00a0\u00e9"},

		// Bidi controls and the BOM.
		{"RLO", "abc\u202edef", "abcdef"},
		{"LRE..RLO", "\u202a\u202b\u202c\u202d\u202ex", "x"},
		{"LRI..PDI", "\u2066\u2067\u2068\u2069x", "x"},
		{"RLM", "a\u200fb", "ab"},
		{"LRM", "a\u200eb", "ab"},
		{"ALM", "a\u061cb", "ab"},
		{"BOM", "\ufeffhello", "hello"},

		// Text that must survive.
		{"accents", "café crème, naïve, Ærø", "café crème, naïve, Ærø"},
		{"CJK", "你好，世界", "你好，世界"},
		{"Arabic", "مرحبا", "مرحبا"},
		{"emoji", "hi 😀👍🏽", "hi 😀👍🏽"},
		{"ZWJ emoji sequence", "👩\u200d💻", "👩\u200d💻"},
		{"mixed", "\x1b[1mé\t😀\r\u202e\xff", "[1mé 😀" + rep},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Sanitize(tt.in); got != tt.want {
				t.Errorf("Sanitize(%q) = %q; want %q", tt.in, got, tt.want)
			}
		})
	}
}

// TestSanitizeCleanASCIIAllocs checks the fast path: clean ASCII comes back
// as it is, without a copy.
func TestSanitizeCleanASCIIAllocs(t *testing.T) {
	s := "just some plain ASCII text"
	if n := testing.AllocsPerRun(100, func() { _ = Sanitize(s) }); n != 0 {
		t.Errorf("Sanitize(clean ASCII) allocates %v times; want 0", n)
	}
}

// checkSanitized reports what is wrong with out as the output of Sanitize(in).
func checkSanitized(t *testing.T, in, out string) {
	t.Helper()
	if !utf8.ValidString(out) {
		t.Fatalf("Sanitize(%q) = %q: invalid UTF-8", in, out)
	}
	for i, r := range out {
		switch {
		case r < 0x20:
			t.Fatalf("Sanitize(%q) = %q: C0 control %U at %d", in, out, r, i)
		case r == 0x7f:
			t.Fatalf("Sanitize(%q) = %q: DEL at %d", in, out, i)
		case 0x80 <= r && r <= 0x9f:
			t.Fatalf("Sanitize(%q) = %q: C1 control %U at %d", in, out, r, i)
		case unicode.Is(unicode.Bidi_Control, r):
			t.Fatalf("Sanitize(%q) = %q: bidi control %U at %d", in, out, r, i)
		case r == 0xfeff:
			t.Fatalf("Sanitize(%q) = %q: BOM at %d", in, out, i)
		}
	}
	if n := utf8.RuneCountInString(out); n > len(in) {
		t.Fatalf("Sanitize(%q) = %q: %d runes from %d bytes", in, out, n, len(in))
	}
	if again := Sanitize(out); again != out {
		t.Fatalf("Sanitize not idempotent: Sanitize(%q) = %q, Sanitize of that = %q", in, out, again)
	}
}

func FuzzSanitize(f *testing.F) {
	// More seeds live in testdata/fuzz/FuzzSanitize.
	for _, s := range []string{
		"",
		"hello",
		"a\tb",
		"\x1b[31mred\x1b[0m",
		"\xc0\xaf\xed\xa0\x80\xff",
		"\u0085\u009b\u202e\u2066\u200f\u061c\ufeff",
		"café 你好 😀",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		checkSanitized(t, in, Sanitize(in))
	})
}

// BenchmarkSanitize is the sanitiser on what it mostly sees (clean ASCII,
// returned as it is) and on text it must rebuild.
func BenchmarkSanitize(b *testing.B) {
	for _, bc := range []struct{ name, text string }{
		{"ascii", "a message of an ordinary length, with some words in it"},
		{"unicode", "un message ordinaire, café ☕ et 世界, sans contrôle"},
		{"controls", "a message\twith \x1b[31mcolour\x1b[0m and a bell\a in it"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(bc.text)))
			b.ReportAllocs()
			for b.Loop() {
				_ = Sanitize(bc.text)
			}
		})
	}
}
