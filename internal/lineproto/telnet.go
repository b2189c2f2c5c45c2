package lineproto

// Telnet strips telnet's in-band commands (IAC sequences) from a stream, so
// that a telnet client's option negotiation never reaches the room as
// text. Telnet commands are the bytes 240 to 255 after IAC; an IAC followed
// by anything else was not telnet, and both bytes are kept (they are not
// UTF-8 either, so the room shows U+FFFD for them).
type Telnet struct {
	state telnetState
}

type telnetState uint8

const (
	tnData   telnetState = iota
	tnIAC                // after IAC
	tnOption             // after IAC WILL/WONT/DO/DONT: one option byte follows
	tnSub                // inside IAC SB … IAC SE
	tnSubIAC             // IAC inside a subnegotiation
)

const (
	iac = 255
	sb  = 250
	se  = 240
)

// Filter removes telnet commands from p in place and returns what is left.
func (t *Telnet) Filter(p []byte) []byte {
	out := p[:0]
	for _, c := range p {
		switch t.state {
		case tnData:
			if c == iac {
				t.state = tnIAC
				continue
			}
			out = append(out, c)
		case tnIAC:
			switch {
			case c == iac: // an escaped 255
				out = append(out, c)
				t.state = tnData
			case c == sb:
				t.state = tnSub
			case c >= 251: // WILL, WONT, DO, DONT
				t.state = tnOption
			case c >= se: // NOP, AYT, IP, GA and the like
				t.state = tnData
			default: // not telnet after all
				out = append(out, iac, c)
				t.state = tnData
			}
		case tnOption:
			t.state = tnData
		case tnSub:
			if c == iac {
				t.state = tnSubIAC
			}
		case tnSubIAC:
			if c == se {
				t.state = tnData
			} else {
				t.state = tnSub
			}
		}
	}
	return out
}
