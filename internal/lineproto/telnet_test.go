package lineproto

import (
	"bytes"
	"testing"
)

func TestTelnet(t *testing.T) {
	tests := []struct {
		name   string
		chunks []string
		want   string
	}{
		{"plain text", []string{"hello\r\n"}, "hello\r\n"},
		{"negotiation before text", []string{"\xff\xfd\x03\xff\xfb\x18hi\r\n"}, "hi\r\n"},
		{"subnegotiation", []string{"\xff\xfa\x18\x00xterm\xff\xf0ok"}, "ok"},
		{"split across reads", []string{"a\xff", "\xfb", "\x01b"}, "ab"},
		{"escaped 255", []string{"x\xff\xffy"}, "x\xffy"},
		{"interrupt process", []string{"x\xff\xf4y"}, "xy"},
		{"not telnet: kept as it was", []string{"a\xffb"}, "a\xffb"},
		{"utf-8 untouched", []string{"café 😀"}, "café 😀"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var tn Telnet
			var got []byte
			for _, c := range tt.chunks {
				got = append(got, tn.Filter([]byte(c))...)
			}
			if !bytes.Equal(got, []byte(tt.want)) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}
