package sshui

import (
	"context"
	"errors"
	"strings"

	"github.com/charmbracelet/ssh"
	gossh "golang.org/x/crypto/ssh"

	"palabre/internal/connlimit"
	"palabre/room"
)

// Who gets in over SSH:
//   - an open room (the default): anyone — with any key, whose fingerprint
//     the member then carries; with keyboard-interactive answered by
//     nothing, which is how a plain `ssh -p 2222 host` without keys gets
//     in; or with no authentication at all, except OpenSSH, which offers
//     "none" first and would then never show its key, but falls back to
//     its keys and to the empty keyboard-interactive, so gets in anyway;
//   - with a room password: whoever gives it, keyboard-interactive or
//     password; a key holder is asked after its key, so it keeps its
//     fingerprint. A wrong answer is told so, and may be followed by
//     another on the same connection, three in all, as OpenSSH asks
//     three times; each is paced by the gate both doors share;
//   - with allowed keys: those keys only. No password is ever asked (the
//     password method is not even offered); a client whose keys are all
//     refused, or that has none, is told why in a banner when it falls
//     back to keyboard-interactive.

// verifiedKeyExt names the Permissions extension that holds the fingerprint
// of a key the client proved it holds (set once the signature is checked).
const verifiedKeyExt = "palabre-verified-key"

func (s *Server) publicKeyAuth(_ ssh.Context, key ssh.PublicKey) bool {
	if s.opts.AllowedKeys != nil {
		return s.opts.AllowedKeys[gossh.FingerprintSHA256(key)]
	}
	return true
}

func (s *Server) keyboardInteractiveAuth(ctx ssh.Context, challenge gossh.KeyboardInteractiveChallenge) bool {
	switch {
	case s.opts.AllowedKeys != nil:
		// OpenSSH comes here once its keys are refused: it is told why,
		// and, having been asked nothing, does not come back.
		s.banner(ctx, s.opts.Lang.Refusal(room.RefusedNoPassword))
		return false
	case s.opts.Password == "":
		return true // ask nothing
	}
	return s.askPassword(ctx, challenge)
}

// askPassword asks for the room password by keyboard-interactive, and
// tells a refused client why in the challenge's instruction (OpenSSH
// prints it), as the TCP door does in its last line.
func (s *Server) askPassword(ctx ssh.Context, challenge gossh.KeyboardInteractiveChallenge) bool {
	answers, err := challenge("", "", []string{s.opts.Lang.PasswordPrompt() + " "}, []bool{false})
	if err != nil || len(answers) != 1 {
		return false
	}
	return s.checkPassword(ctx, answers[0], func(why string) { _, _ = challenge("", why, nil, nil) })
}

// passwordAuth is offered only without allowed keys.
func (s *Server) passwordAuth(ctx ssh.Context, password string) bool {
	if s.opts.Password == "" {
		return true
	}
	return s.checkPassword(ctx, password, nil)
}

// maxWrongPasswords is how many wrong answers one connection may give:
// OpenSSH asks three times (its NumberOfPasswordPrompts) before it gives up.
const maxWrongPasswords = 3

// checkPassword compares an answer with the room password as the TCP door
// does: through the gate both doors share, which paces checks per address
// and may first wait (a few seconds at most) for the address's turn. A
// wrong answer is told why, by tell when not nil (keyboard-interactive's
// instruction), else in a banner; the connection is closed after the third
// one, or when the gate refuses to check (the client is told how long to
// wait), or when the check is called off.
func (s *Server) checkPassword(ctx ssh.Context, answer string, tell func(why string)) bool {
	waiting, callOff := context.WithCancel(ctx) // called off by the connection's end, or the server's
	defer callOff()
	defer context.AfterFunc(s.stopping, callOff)()
	right, err := s.opts.Passwords.Check(ctx.RemoteAddr(), answer, s.opts.Password, waiting.Done())
	if right {
		return true
	}
	wrong, _ := ctx.Value(wrongPasswordsKey{}).(int)
	wrong++
	ctx.SetValue(wrongPasswordsKey{}, wrong)
	var tooMany *connlimit.WaitError
	why, last := "", wrong >= maxWrongPasswords
	switch {
	case errors.As(err, &tooMany):
		s.log.Info("too many wrong passwords", "addr", remote(ctx), "user", room.Clip(ctx.User(), 64), "retry_in", tooMany.RetryIn)
		why, last = s.opts.Lang.TooManyWrongPasswords(tooMany.RetryIn), true
	case err == nil:
		s.log.Info("wrong room password", "addr", remote(ctx), "user", room.Clip(ctx.User(), 64), "wrong", wrong)
		why = s.opts.Lang.Refusal(room.RefusedPassword)
	default: // called off
		last = true
	}
	switch {
	case why == "":
	case tell != nil:
		tell(why)
	default:
		s.banner(ctx, why)
	}
	if gc, ok := ctx.Value(connKey{}).(*guardedConn); ok && last {
		gc.Close()
	}
	return false
}

// wrongPasswordsKey counts a connection's wrong passwords.
type wrongPasswordsKey struct{}

// preAuthKey holds a connection's gossh.ServerPreAuthConn until it is
// authenticated: what sends banners.
type preAuthKey struct{}

// banner shows the client a line while it authenticates: OpenSSH prints
// banners as they come, whatever the method.
func (s *Server) banner(ctx ssh.Context, line string) {
	if c, ok := ctx.Value(preAuthKey{}).(gossh.ServerPreAuthConn); ok {
		_ = c.SendAuthBanner(line + "\r\n")
	}
}

// withAuthConfig sets what wish has no option for: "none" authentication,
// recording the fingerprint of a key once its signature is verified, and
// asking a key holder for the room password after its key.
func (s *Server) withAuthConfig() ssh.Option {
	return func(srv *ssh.Server) error {
		srv.ServerConfigCallback = func(ctx ssh.Context) *gossh.ServerConfig {
			return &gossh.ServerConfig{
				PreAuthConnCallback:  func(c gossh.ServerPreAuthConn) { ctx.SetValue(preAuthKey{}, c) },
				NoClientAuth:         true,
				NoClientAuthCallback: s.noneAuth,
				VerifiedPublicKeyCallback: func(c gossh.ConnMetadata, key gossh.PublicKey, p *gossh.Permissions, _ string) (*gossh.Permissions, error) {
					if p == nil {
						p = &gossh.Permissions{}
					}
					if p.Extensions == nil {
						p.Extensions = map[string]string{}
					}
					p.Extensions[verifiedKeyExt] = gossh.FingerprintSHA256(key)
					if s.opts.Password == "" || s.opts.AllowedKeys != nil {
						return p, nil
					}
					// The key is known; the password is still owed. The
					// permissions found for the key are kept for the end.
					return nil, &gossh.PartialSuccessError{Next: gossh.ServerAuthCallbacks{
						PasswordCallback: func(_ gossh.ConnMetadata, pw []byte) (*gossh.Permissions, error) {
							if s.checkPassword(ctx, string(pw), nil) {
								return p, nil
							}
							return nil, errWrongPassword
						},
						KeyboardInteractiveCallback: func(_ gossh.ConnMetadata, challenge gossh.KeyboardInteractiveChallenge) (*gossh.Permissions, error) {
							if s.askPassword(ctx, challenge) {
								return p, nil
							}
							return nil, errWrongPassword
						},
					}}
				},
			}
		}
		return nil
	}
}

var errWrongPassword = errors.New("wrong password")

// noneAuth decides on a client that offers no authentication.
func (s *Server) noneAuth(c gossh.ConnMetadata) (*gossh.Permissions, error) {
	switch {
	case s.opts.AllowedKeys != nil || s.opts.Password != "":
		return nil, errors.New("authentication required")
	case strings.HasPrefix(string(c.ClientVersion()), "SSH-2.0-OpenSSH"):
		return nil, errors.New("offer a key, or keyboard-interactive")
	}
	return &gossh.Permissions{}, nil
}
