package lineproto

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"palabre/room"
)

// step is one event of a stream: bytes arriving, or a pause.
type step struct {
	feed string
	idle bool
}

func TestFramer(t *testing.T) {
	long := strings.Repeat("a", 1023) + "é" // 1025 bytes, é straddles byte 1024
	tests := []struct {
		name  string
		steps []step
		flush bool
		want  []string
	}{
		{"newline", []step{{feed: "hello\n"}}, false, []string{"hello"}},
		{"crlf", []step{{feed: "hello\r\n"}}, false, []string{"hello"}},
		{"two lines in one read", []step{{feed: "one\ntwo\n"}}, false, []string{"one", "two"}},
		{"line across reads", []step{{feed: "hel"}, {feed: "lo\n"}}, false, []string{"hello"}},
		{"crlf across reads", []step{{feed: "hi\r"}, {feed: "\n"}}, false, []string{"hi"}},
		{"unframed send ends at a pause", []step{{feed: "hello"}, {idle: true}}, false, []string{"hello"}},
		{"unframed sends", []step{{feed: "hel"}, {feed: "lo"}, {idle: true}, {feed: "world"}, {idle: true}}, false, []string{"hello", "world"}},
		{"utf-8 split across reads", []step{{feed: "caf\xc3"}, {feed: "\xa9\n"}}, false, []string{"café"}},
		{"emoji byte by byte", []step{{feed: "\xf0"}, {feed: "\x9f"}, {feed: "\x98"}, {feed: "\x80"}, {idle: true}}, false, []string{"😀"}},
		{"a pause inside a character keeps it whole once",
			[]step{{feed: "ok \xf0\x9f"}, {idle: true}, {feed: "\x98\x80"}, {idle: true}}, false, []string{"ok ", "😀"}},
		{"a character that never completes is given up", []step{{feed: "\xf0\x9f"}, {idle: true}, {idle: true}}, false, []string{"\xf0\x9f"}},
		{"rest at end of stream", []step{{feed: "a\nb"}}, true, []string{"a", "b"}},
		{"empty lines are messages of nothing", []step{{feed: "\n\r\n"}}, false, nil},
		{"a long line stays whole: the room cuts it after parsing it", []step{{feed: long + "\n"}}, false, []string{long}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := Framer{MaxPending: 16 << 10}
			var got []string
			emit := func(s string) { got = append(got, s) }
			for _, s := range tt.steps {
				if s.idle {
					f.Idle(emit)
					continue
				}
				if err := f.Feed([]byte(s.feed), emit); err != nil {
					t.Fatalf("Feed(%q): %v", s.feed, err)
				}
			}
			if tt.flush {
				f.Flush(emit)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("messages = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestFramerInputTooLong(t *testing.T) {
	f := Framer{MaxPending: 16 << 10}
	emit := func(string) {}
	chunk := bytes.Repeat([]byte("y"), 4096)
	var err error
	for i := 0; i < 5 && err == nil; i++ {
		err = f.Feed(chunk, emit)
	}
	if !errors.Is(err, ErrInputTooLong) {
		t.Fatalf("20 KiB with no boundary: err = %v, want ErrInputTooLong", err)
	}

	// The same amount with boundaries is fine, however it is chunked.
	f = Framer{MaxPending: 16 << 10}
	n := 0
	line := append(bytes.Repeat([]byte("z"), 2000), '\n')
	for range 100 {
		if err := f.Feed(line, func(string) { n++ }); err != nil {
			t.Fatalf("lines of 2000 bytes: %v", err)
		}
	}
	if n != 100 {
		t.Errorf("100 lines of 2000 bytes gave %d messages, want 100", n)
	}
}

// FuzzFramer checks that however a stream is cut into reads, the framer
// gives the same messages, each with no newline and no character cut, and
// that together they are the stream without its line endings.
func FuzzFramer(f *testing.F) {
	f.Add([]byte("hello\nworld\r\n"), []byte{3, 1, 7})
	f.Add([]byte("caf\xc3\xa9\n\xf0\x9f\x98\x80 ok\n"), []byte{4, 1, 1, 1})
	f.Add([]byte(strings.Repeat("é", 700)+"\n"), []byte{5, 100})
	f.Add([]byte("\r\r\n\n\xff\xfe\n"), []byte{1})
	f.Fuzz(func(t *testing.T, stream []byte, cuts []byte) {
		whole := frame(t, stream, nil)
		chunked := frame(t, stream, cuts)
		if !slices.Equal(whole, chunked) {
			t.Fatalf("chunking changed the messages:\nwhole   %q\nchunked %q", whole, chunked)
		}
		var joined []byte
		for _, m := range whole {
			if strings.Contains(m, "\n") {
				t.Fatalf("message %q holds a newline", m)
			}
			if utf8.Valid(stream) && !utf8.ValidString(m) {
				t.Fatalf("a character was cut: message %q", m)
			}
			joined = append(joined, m...)
		}
		var want []byte
		lines := bytes.Split(stream, []byte("\n"))
		for i, line := range lines {
			if i < len(lines)-1 { // a "\r" is dropped only before a "\n"
				line = bytes.TrimSuffix(line, []byte("\r"))
			}
			want = append(want, line...)
		}
		if !bytes.Equal(joined, want) {
			t.Fatalf("messages joined = %q, want %q", joined, want)
		}
	})
}

// frame runs stream through a Framer, cut into reads of the sizes in cuts
// (cycled; nil means one read), then flushes.
func frame(t *testing.T, stream, cuts []byte) []string {
	t.Helper()
	f := Framer{MaxPending: len(stream) + 1}
	var got []string
	emit := func(s string) { got = append(got, s) }
	for i := 0; len(stream) > 0; i++ {
		n := len(stream)
		if len(cuts) > 0 {
			n = min(int(cuts[i%len(cuts)])%16+1, len(stream))
		}
		if err := f.Feed(stream[:n], emit); err != nil {
			t.Fatalf("Feed: %v", err)
		}
		stream = stream[n:]
	}
	f.Flush(emit)
	return got
}

// BenchmarkFramer is the framer's cost per byte of a stream of chat lines,
// read in 1 kB chunks as the TCP door reads them.
func BenchmarkFramer(b *testing.B) {
	var stream []byte
	for i := 0; len(stream) < 64<<10; i++ {
		stream = fmt.Appendf(stream, "message %d, of an ordinary length, café 世界\r\n", i)
	}
	b.SetBytes(int64(len(stream)))
	b.ReportAllocs()
	lines := 0
	emit := func(string) { lines++ }
	for b.Loop() {
		f := Framer{MaxPending: 16 << 10}
		for p := stream; len(p) > 0; {
			n := min(1024, len(p))
			if err := f.Feed(p[:n], emit); err != nil {
				b.Fatal(err)
			}
			p = p[n:]
		}
	}
	if lines == 0 {
		b.Fatal("no line framed")
	}
}

// BenchmarkAppendMessage is formatting one delivery for the TCP door.
func BenchmarkAppendMessage(b *testing.B) {
	msg := room.Message{Kind: room.KindChat, From: "Thread-12", SenderID: 12, Text: "a message of an ordinary length, with some words"}
	var buf []byte
	b.ReportAllocs()
	for b.Loop() {
		buf = AppendMessage(buf[:0], room.LangEN, 3, &msg)
	}
}
