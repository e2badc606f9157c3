package urpc

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"mksim/arch"
	"mksim/arch/archtest"
)

var update = flag.Bool("update", false, "rewrite testdata/*.txt with the actual outputs")

// A scenario file is a sequence of blocks:
//
//	# comments
//	<command>
//	----
//	<expected output, up to a blank line>
//
// Commands run one at a time, each on the core of the side it names (a is
// core 0, b is core 1), driven by a third core, so their effects are
// sequential and the output deterministic:
//
//	options [notify] [prefetch=N] [budget=N]   (first block only; output "ok")
//	send <a|b> <type> [words...]   TrySend: "ok" or "full"
//	sendn <a|b> <n>                TrySend n numbered messages: "sent k of n"
//	recv <a|b>                     TryRecv: the message or "empty"
//	recvn <a|b> <n>                TryRecv up to n: "received k: <first words>"
//	pending <a|b>                  Pending: "true" or "false"
//	state <a|b>                    the side's protocol state
//	ring <a|b> <from> <to>         headers of the side's transmit slots
type step struct {
	pre  []string // comment lines before the command
	cmd  string
	args []string
	want string
	got  string
}

func parseScript(t *testing.T, path string) (steps []*step) {
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	var pre []string
	for i := 0; i < len(lines); i++ {
		l := strings.TrimSpace(lines[i])
		if l == "" {
			continue
		}
		if strings.HasPrefix(l, "#") {
			pre = append(pre, l)
			continue
		}
		f := strings.Fields(l)
		s := &step{pre: pre, cmd: f[0], args: f[1:]}
		pre = nil
		if i+1 >= len(lines) || lines[i+1] != "----" {
			t.Fatalf("%s:%d: command %q not followed by ----", path, i+1, l)
		}
		i += 2
		var want []string
		for ; i < len(lines) && lines[i] != ""; i++ {
			want = append(want, lines[i])
		}
		s.want = strings.Join(want, "\n")
		steps = append(steps, s)
	}
	return steps
}

func TestScripts(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.txt")
	if len(files) == 0 {
		t.Fatal("no scenario files")
	}
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) { runScript(t, path) })
	}
}

func runScript(t *testing.T, path string) {
	steps := parseScript(t, path)
	var opts Options
	if len(steps) > 0 && steps[0].cmd == "options" {
		for _, a := range steps[0].args {
			k, v, _ := strings.Cut(a, "=")
			n, _ := strconv.Atoi(v)
			switch k {
			case "notify":
				opts.Notify = true
			case "prefetch":
				opts.Prefetch = n
			case "budget":
				opts.PollBudget = arch.Cycles(n)
			default:
				t.Fatalf("%s: unknown option %q", path, a)
			}
		}
		steps[0].got = "ok"
	}
	m := archtest.New(archtest.Config{Cores: 3})
	al := m.Allocator()
	ch, err := NewChannel(al, 0, Peer{0, 0}, Peer{1, 0}, opts)
	if err != nil {
		t.Fatal(err)
	}
	eps := map[string]*Endpoint{}
	eps["a"], eps["b"] = ch.Endpoints()
	numbered := map[string]uint64{}
	turn := [2]arch.Addr{al.MustAlloc(0, 64, 64), al.MustAlloc(0, 64, 64)}
	const quit = 1 << 62
	for side := 0; side < 2; side++ {
		side := side
		m.Start(arch.CoreID(side), func(c arch.Core) {
			for {
				v, _ := c.SpinUntil(turn[side], func(v uint64) bool { return v != 0 }, 0)
				if v == quit {
					return
				}
				s := steps[v-1]
				s.got = exec(c, s, eps, numbered, m)
				c.Store(turn[side], 0)
			}
		})
	}
	m.Start(2, func(c arch.Core) {
		for i, s := range steps {
			if s.cmd == "options" {
				if i != 0 {
					s.got = "error: options must come first"
				}
				continue
			}
			if len(s.args) == 0 || (s.args[0] != "a" && s.args[0] != "b") {
				s.got = "error: first argument must be a or b"
				continue
			}
			side := 0
			if s.args[0] == "b" {
				side = 1
			}
			c.Store(turn[side], uint64(i+1))
			c.SpinUntil(turn[side], func(v uint64) bool { return v == 0 }, 0)
		}
		c.Store(turn[0], quit)
		c.Store(turn[1], quit)
	})
	if err := m.Run(); err != nil {
		t.Fatal(err)
	}
	if *update {
		var b strings.Builder
		for i, s := range steps {
			if i > 0 {
				b.WriteByte('\n')
			}
			for _, l := range s.pre {
				b.WriteString(l + "\n")
			}
			if len(s.pre) > 0 {
				b.WriteByte('\n')
			}
			fmt.Fprintf(&b, "%s\n----\n%s\n", strings.Join(append([]string{s.cmd}, s.args...), " "), s.got)
		}
		if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	for _, s := range steps {
		if s.got != s.want {
			t.Errorf("%s: %s %s:\n got: %s\nwant: %s", path, s.cmd, strings.Join(s.args, " "),
				strings.ReplaceAll(s.got, "\n", "\n      "), strings.ReplaceAll(s.want, "\n", "\n      "))
		}
	}
}

func exec(c arch.Core, s *step, eps map[string]*Endpoint, numbered map[string]uint64, m *archtest.Machine) string {
	ep := eps[s.args[0]]
	args := s.args[1:]
	num := func(i int) int {
		if i >= len(args) {
			return -1
		}
		n, err := strconv.Atoi(args[i])
		if err != nil {
			return -1
		}
		return n
	}
	switch s.cmd {
	case "send":
		var msg Msg
		if len(args) < 1 || len(args) > 1+PayloadWords {
			return "error: send <side> <type> [words...]"
		}
		msg.Type = MsgType(num(0))
		for i := 1; i < len(args); i++ {
			msg.Words[i-1] = uint64(num(i))
		}
		if ep.TrySend(c, msg) {
			return "ok"
		}
		return "full"
	case "sendn":
		n := num(0)
		k := 0
		for ; k < n; k++ {
			msg := Msg{Type: 1}
			msg.Words[0] = numbered[s.args[0]]
			if !ep.TrySend(c, msg) {
				break
			}
			numbered[s.args[0]]++
		}
		return fmt.Sprintf("sent %d of %d", k, n)
	case "recv":
		if r, ok := ep.TryRecv(c); ok {
			return r.String()
		}
		return "empty"
	case "recvn":
		n := num(0)
		var firsts []string
		for len(firsts) < n {
			r, ok := ep.TryRecv(c)
			if !ok {
				break
			}
			firsts = append(firsts, strconv.FormatUint(r.Words[0], 10))
		}
		return fmt.Sprintf("received %d: %s", len(firsts), strings.Join(firsts, " "))
	case "pending":
		return strconv.FormatBool(ep.Pending(c))
	case "state":
		return ep.State(m.Peek).String()
	case "ring":
		from, to := num(0), num(1)
		if from < 0 || to < from || to >= RingSlots {
			return "error: ring <side> <from> <to>"
		}
		var b []string
		for i := from; i <= to; i++ {
			h := DecodeHeader(m.Peek(ep.TxSlot(i) + headerOffset))
			b = append(b, fmt.Sprintf("slot %2d: %v w0=%d", i, h, m.Peek(ep.TxSlot(i))))
		}
		return strings.Join(b, "\n")
	}
	return "error: unknown command " + s.cmd
}
