package room

import (
	"cmp"
	"crypto/subtle"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"
)

// moderateLocked carries out an operator's command. Every one of them is
// logged with who did what; a non-operator gets a refusal.
func (h *Hub) moderateLocked(op *Member, in Input) {
	if !op.IsOp() {
		h.replyLocked(op, Message{Kind: KindError, Err: ErrNotOperator, Text: in.Word})
		return
	}
	switch in.Cmd {
	case CmdBans:
		bans := h.activeBansLocked()
		// /unban N means the N-th ban of the list this operator was shown,
		// whatever was banned or lifted since.
		op.shownBans = op.shownBans[:0]
		for _, b := range bans {
			op.shownBans = append(op.shownBans, b.Target)
		}
		h.replyLocked(op, Message{Kind: KindBans, Bans: bans})
		return
	case CmdUnban:
		h.unbanLocked(op, in.Name)
		return
	case CmdRelease:
		h.releaseLocked(op, in.Name)
		return
	}
	target, ok := h.byName[nameKey(in.Name)]
	if x := h.remoteLocked(in.Name); !ok && x != nil && h.moderateRemoteLocked(op, in, x) {
		return
	}
	switch {
	case !ok:
		h.replyLocked(op, Message{Kind: KindError, Err: ErrNoSuchMember, Text: in.Name})
		return
	case target == op && in.Cmd != CmdUnmute:
		h.replyLocked(op, Message{Kind: KindError, Err: ErrSelf, Text: in.Word})
		return
	case target.room != op.room && in.Cmd != CmdBan:
		// /kick and /mute act in the operator's room; /ban is server-wide.
		h.replyLocked(op, Message{Kind: KindError, Err: ErrNotInRoom, Text: target.Name()})
		return
	}
	r := target.room
	now := h.opts.Now()
	msg := Message{From: op.Name(), SenderID: op.id, Door: op.door, Key: op.key, To: target.Name()}
	switch in.Cmd {
	case CmdKick:
		msg.Kind, msg.Text = KindKick, in.Text
		h.broadcastLocked(r, msg) // the target reads it too, before it goes
		h.tellLeaverLocked(target, msg)
		h.detachQuietLocked(target, ReasonKicked)
	case CmdMute:
		msg.Kind = KindMute
		if in.Dur > 0 {
			msg.Until = now.Add(in.Dur)
		}
		// A mute holds in this room (mutedByLocked). A keyed member stays
		// muted there if it comes back; a keyless one for this session
		// (muting an address would mute a whole class behind one NAT):
		// /ban is there for one that evades.
		h.broadcastLocked(r, msg)
	case CmdUnmute:
		msg.Kind = KindUnmute
		h.broadcastLocked(r, msg)
	case CmdBan:
		reason := in.Text
		b := h.banOn(target.key, target.addr, target.Name(), op, in, now)
		h.bans[b.Target] = b
		h.store.SaveBan(b)
		msg.Kind, msg.Text, msg.Until = KindBan, reason, b.Until
		if h.clustered() {
			msg.Bans = []Ban{b} // every node refuses the target as it reads this (bansLocked)
		}
		h.broadcastLocked(r, msg)
		msg.Bans = nil
		if op.room != r {
			h.sendLocked(&msg, []*Member{op}) // the operator sees the ban it typed
		}
		// The operator is told what the ban holds: in an exempt network
		// (a class behind one NAT) a key ban holds the key alone.
		h.replyLocked(op, Message{Kind: KindBanScope, Bans: []Ban{h.shownLocked(b)}})
		h.tellLeaverLocked(target, msg)
		// Only the target goes: others behind the same address (a class
		// behind one NAT, the operator itself) stay, and are refused only
		// if they come back without a key.
		h.detachQuietLocked(target, ReasonBanned)
	}
	h.events = append(h.events, event{"operator action", []any{"op", op.Name(), "op_key", op.key,
		"command", in.Cmd.String(), "target", target.Name(), "target_addr", target.addr, "duration", in.Dur, "text", Clip(in.Text, 128)}})
}

// banOn is the ban an operator's /ban puts on a member with this key and
// address. A ban on a key holds its holder's network too, or the holder
// would come straight back without the key (keyboard-interactive, the TCP
// door); a ban on a member without a key holds its network.
func (h *Hub) banOn(key, addr, name string, op *Member, in Input, now time.Time) Ban {
	b := Ban{Target: key, Net: h.netOf(addr), Name: name, Reason: in.Text, By: op.Name(), At: now}
	if key == "" {
		b.Net = cmp.Or(b.Net, addr)
		b.Target = b.Net
	}
	if in.Dur > 0 {
		b.Until = now.Add(in.Dur)
	}
	return b
}

// detachQuietLocked removes m after the room was told why in the message
// just sent: a kick or a ban, not a plain leave.
func (h *Hub) detachQuietLocked(m *Member, r Reason) {
	if !h.presentLocked(m) {
		return
	}
	room := m.room
	h.members = slices.DeleteFunc(h.members, func(x *Member) bool { return x == m })
	h.detachLocked(m, r)
	h.recordLocked(m.leave(room, r)) // the transcript keeps the leave; the room read the kick or ban
}

// unbanLocked is /unban N|NAME|KEY|ADDRESS. N is a ban of the list /bans
// last showed this operator, and NAME the name a ban holds: each lifts that
// one ban, whole. A number or a name that means no ban, or several, lifts
// nothing: better to refuse than to lift the wrong one. KEY and ADDRESS
// lift as liftTargetLocked says.
func (h *Hub) unbanLocked(op *Member, arg string) {
	if allDigits(arg) {
		n, err := strconv.Atoi(arg)
		if err != nil || n < 1 || n > len(op.shownBans) {
			h.replyLocked(op, Message{Kind: KindError, Err: ErrNoBanNumbered, Text: arg})
			return
		}
		target := op.shownBans[n-1]
		b, ok := h.bans[target]
		if !ok || !b.Active(h.opts.Now()) {
			h.replyLocked(op, Message{Kind: KindError, Err: ErrNoSuchBan, Text: target})
			return
		}
		h.liftLocked(op, b)
		return
	}
	if p := CheckName(arg); p == NameOK || p == NameGenerated || p == NameReserved {
		var found []Ban
		for _, b := range h.activeBansLocked() {
			if strings.EqualFold(b.Name, arg) {
				found = append(found, b)
			}
		}
		switch len(found) {
		case 1:
			h.liftLocked(op, found[0])
			return
		case 0: // no ban holds the name: a key or an address, maybe
		default:
			h.replyLocked(op, Message{Kind: KindError, Err: ErrBanAmbiguous, Text: arg})
			return
		}
	}
	h.liftTargetLocked(op, arg)
}

// liftLocked lifts ban b whole, and tells the operator.
func (h *Hub) liftLocked(op *Member, b Ban) {
	delete(h.bans, b.Target)
	h.store.DeleteBan(b.Target)
	h.unbannedLocked(op, b.Target, b.Name)
}

// liftTargetLocked lifts the ban on a key, or whatever holds an address's
// network: a ban on the address, and the network part of bans on keys
// (the keys stay banned).
func (h *Hub) liftTargetLocked(op *Member, target string) {
	b, lifted := h.bans[target]
	if lifted {
		delete(h.bans, target)
		h.store.DeleteBan(target)
	}
	if !lifted || b.OnAddress() {
		lifted = h.unbanNetLocked(cmp.Or(h.netOf(target), target)) || lifted
	}
	if !lifted {
		h.replyLocked(op, Message{Kind: KindError, Err: ErrNoSuchBan, Text: target})
		return
	}
	h.unbannedLocked(op, target, b.Name)
}

// unbannedLocked records a lifted ban and tells the operator alone: a
// ban's target may be an address, which is nobody else's business.
func (h *Hub) unbannedLocked(op *Member, target, name string) {
	h.recordForLocked(op, Message{Kind: KindUnban, From: op.Name(), SenderID: op.id, Door: op.door, Key: op.key, Text: target, To: name})
	h.events = append(h.events, event{"operator action", []any{"op", op.Name(), "op_key", op.key, "command", "unban", "target", target, "name", name}})
}

// opLocked makes m an operator if password is the operator password.
func (h *Hub) opLocked(m *Member, password string) {
	switch {
	case h.opts.OpPassword == "":
		h.replyLocked(m, Message{Kind: KindError, Err: ErrNoOpPassword})
		return
	case subtle.ConstantTimeCompare([]byte(password), []byte(h.opts.OpPassword)) != 1:
		h.events = append(h.events, event{"wrong operator password", []any{"name", m.Name(), "addr", m.addr}})
		h.replyLocked(m, Message{Kind: KindError, Err: ErrWrongPassword})
		return
	}
	if m.op.Swap(true) {
		return // already one
	}
	h.events = append(h.events, event{"operator", []any{"name", m.Name(), "addr", m.addr, "by", "password"}})
	h.broadcastLocked(m.room, Message{Kind: KindOp, From: m.Name(), SenderID: m.id, Door: m.door, Key: m.key})
}

// topicLocked shows the topic, or sets it when text is given by an
// operator; "-" clears it. (A bare /topic shows it, for everyone: an
// operator checking the topic must not clear it by the same keystrokes.)
func (h *Hub) topicLocked(m *Member, text string) {
	r := m.room
	if text == "" {
		h.replyLocked(m, Message{Kind: KindTopic, Room: r.name, Text: r.topic})
		return
	}
	if !m.IsOp() {
		h.replyLocked(m, Message{Kind: KindError, Err: ErrNotOperator, Text: "/topic"})
		return
	}
	if text == "-" {
		if r.topic == "" {
			h.replyLocked(m, Message{Kind: KindTopic, Room: r.name})
			return
		}
		text = ""
	}
	r.topic = text
	h.store.SaveTopic(r.name, text)
	h.events = append(h.events, event{"operator action", []any{"op", m.Name(), "op_key", m.key, "command", "topic", "room", r.name, "text", Clip(text, 128)}})
	h.broadcastLocked(r, Message{Kind: KindTopic, From: m.Name(), SenderID: m.id, Door: m.door, Key: m.key, Text: text})
}

// mutedLocked reports whether m may not post now, and tells it so. A mute
// whose time has passed ends here.
func (h *Hub) mutedLocked(m *Member) bool {
	if !m.muted {
		return false
	}
	if !m.mutedUntil.IsZero() && !h.opts.Now().Before(m.mutedUntil) {
		m.muted, m.mutedUntil = false, time.Time{}
		return false
	}
	h.replyLocked(m, Message{Kind: KindError, Err: ErrMuted, Until: m.mutedUntil})
	return true
}

// unbanNetLocked lifts what holds net and reports whether anything did.
func (h *Hub) unbanNetLocked(net string) bool {
	lifted := false
	for t, b := range h.bans {
		if net == "" || b.Net != net {
			continue
		}
		if b.OnAddress() {
			delete(h.bans, t)
			h.store.DeleteBan(t)
		} else {
			b.Net = ""
			h.bans[t] = b
			h.store.SaveBan(b)
		}
		lifted = true
	}
	return lifted
}

// bannedLocked finds a ban in force on a newcomer. A key is judged by its
// own ban alone: a class behind one address, its teacher first, comes in
// by key whatever the bans on the address. A newcomer without a key is
// judged by its network: refused by a ban on the address, and by a ban on
// a key whose holder came from there, unless the network is exempt. Bans
// are few, so that look-up reads them all.
func (h *Hub) bannedLocked(key, addr string, now time.Time) (Ban, bool) {
	if key != "" {
		b, ok := h.bans[key]
		if ok && !b.Active(now) {
			delete(h.bans, key) // expired: forget it (the store drops it at next load)
			ok = false
		}
		return b, ok
	}
	net := cmp.Or(h.netOf(addr), addr)
	if net == "" {
		return Ban{}, false
	}
	exempt := h.exempt(net)
	for t, b := range h.bans {
		switch {
		case b.Net != net:
		case !b.Active(now):
			delete(h.bans, t)
		case b.OnAddress() || !exempt:
			return b, true
		}
	}
	return Ban{}, false
}

func (h *Hub) activeBansLocked() []Ban {
	now := h.opts.Now()
	var out []Ban
	for _, b := range h.bans {
		if b.Active(now) {
			out = append(out, h.shownLocked(b))
		}
	}
	slices.SortFunc(out, func(a, b Ban) int { return cmp.Or(a.At.Compare(b.At), cmp.Compare(a.Target, b.Target)) })
	return out
}

// shownLocked is b as an operator is shown it: whether its network is exempt.
func (h *Hub) shownLocked(b Ban) Ban {
	b.Exempt = b.Net != "" && h.exempt(b.Net)
	return b
}

// loadBan takes a ban a Store kept. A ban on an address kept before bans
// held networks (no Net, an IP for target) holds the IP's network now.
func (h *Hub) loadBan(b Ban) {
	if b.Net == "" {
		if net := h.netOf(b.Target); net != "" {
			h.store.DeleteBan(b.Target)
			b.Target, b.Net = net, net
			h.store.SaveBan(b)
		}
	}
	h.bans[b.Target] = b
}

// netOf is the network addr stands for in bans ("" if addr is no IP).
func (h *Hub) netOf(addr string) string {
	if _, ok := ParseAddr(addr); !ok {
		return ""
	}
	return NetworkKey(addr, h.opts.IPv6Prefix)
}

// exempt reports whether net (as netOf gives it) meets an exempt network.
func (h *Hub) exempt(net string) bool {
	p, err := netip.ParsePrefix(net)
	if err != nil {
		a, err := netip.ParseAddr(net)
		if err != nil {
			return false
		}
		p = netip.PrefixFrom(a, a.BitLen())
	}
	for _, e := range h.opts.Exempt {
		if e.Overlaps(p) {
			return true
		}
	}
	return false
}

// Topic returns the default room's topic.
func (h *Hub) Topic() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.def.topic
}
