package sshui

import "strings"

// completion is the state of a run of Tab presses: the first one picks the
// candidates, the next ones cycle through them.
type completion struct {
	active     bool
	head, tail []rune // the input around the word being completed
	cands      []string
	i          int
}

func (m *model) complete(d int) {
	if !m.comp.active {
		value, pos := []rune(m.ti.Value()), m.ti.Position()
		start := pos
		for start > 0 && value[start-1] != ' ' {
			start--
		}
		word := strings.ToLower(string(value[start:pos]))
		if strings.HasPrefix(word, "/") {
			return // a command, not a name
		}
		if strings.HasPrefix(word, "@") {
			start, word = start+1, word[1:]
		}
		me := m.cfg.Member.Name()
		var cands []string
		for _, mi := range m.cfg.Members() {
			if strings.HasPrefix(strings.ToLower(mi.Name), word) && !strings.EqualFold(mi.Name, me) {
				cands = append(cands, mi.Name)
			}
		}
		if len(cands) == 0 {
			return
		}
		m.comp = completion{
			active: true,
			head:   append([]rune(nil), value[:start]...),
			tail:   append([]rune(nil), value[pos:]...),
			cands:  cands,
			i:      -1,
		}
		if d < 0 {
			m.comp.i = 0
		}
	}
	c := &m.comp
	c.i = (c.i + d + len(c.cands)) % len(c.cands)
	// A name opening the line addresses its owner, IRC style.
	suffix := " "
	if len(c.head) == 0 {
		suffix = ": "
	}
	word := []rune(c.cands[c.i] + suffix)
	value := append(append(append([]rune(nil), c.head...), word...), c.tail...)
	m.ti.SetValue(string(value))
	m.ti.SetCursor(len(c.head) + len(word))
}
