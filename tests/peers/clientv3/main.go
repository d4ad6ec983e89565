// peer-clientv3: the Go clientv3 tutorial etcdlens was born from, as a peer
// the tests can drive. It talks to etcd through go.etcd.io/etcd/client/v3 of
// the release under test (scripts/build-peer.sh picks the version):
//
//	peer-clientv3 version
//	peer-clientv3 put     --endpoints E KEY VALUE
//	peer-clientv3 get     --endpoints E [--prefix] KEY
//	peer-clientv3 delete  --endpoints E KEY
//	peer-clientv3 watch   --endpoints E PREFIX
//	peer-clientv3 campaign --endpoints E --election /testelection --node NAME [--ttl 1]
//	peer-clientv3 observe --endpoints E --election /testelection
//
// Output: one line per event on stdout, written at once (os.Stdout is not
// buffered), words separated by one space:
//
//	CLIENTV3 v3.6.16                 version: the clientv3 module built in
//	OK 42                            put/delete: the revision it made
//	KV key value                     get: one line per key found, then
//	COUNT n                          the number of keys found
//	READY                            watch: the watch is established
//	PUT key value / DELETE key       watch: one line per event
//	CAMPAIGN name lease              campaign: session made, campaigning
//	LEADER name                      campaign: it won; observe: a leader seen
//	RESIGNED name                    campaign: SIGTERM/SIGINT, it stepped down
//	LOST name                        campaign: its session (lease) ended
//	ERROR message                    anything failed (exit status 1)
//
// A key or value that is empty, holds a space, a quote or anything
// unprintable is printed Go-quoted ("a b"); a word starting with `"` is
// such a quoted string.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
	"unicode"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/client/v3/concurrency"
)

const clientModule = "go.etcd.io/etcd/client/v3"

var outMu sync.Mutex

// emit writes one line on stdout at once.
func emit(words ...string) {
	outMu.Lock()
	defer outMu.Unlock()
	fmt.Fprintln(os.Stdout, strings.Join(words, " "))
}

func die(err error) {
	emit("ERROR", word(err.Error()))
	os.Exit(1)
}

// word prints s as is when it is one plain printable word, else Go-quoted.
func word(s string) string {
	if s == "" || strings.HasPrefix(s, `"`) {
		return strconv.Quote(s)
	}
	for _, r := range s {
		if unicode.IsSpace(r) || !unicode.IsPrint(r) {
			return strconv.Quote(s)
		}
	}
	return s
}

func clientVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			if d.Path == clientModule {
				if d.Replace != nil {
					return d.Replace.Version
				}
				return d.Version
			}
		}
	}
	return "unknown"
}

type common struct {
	endpoints string
	timeout   time.Duration
}

func flags(name string, c *common) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ExitOnError)
	def := os.Getenv("ETCDCTL_ENDPOINTS")
	if def == "" {
		def = "127.0.0.1:2379"
	}
	fs.StringVar(&c.endpoints, "endpoints", def, "comma-separated etcd endpoints")
	fs.DurationVar(&c.timeout, "timeout", 5*time.Second, "timeout of one request (and of the dial)")
	return fs
}

func connect(c common) *clientv3.Client {
	cli, err := clientv3.New(clientv3.Config{
		Endpoints:   strings.Split(c.endpoints, ","),
		DialTimeout: c.timeout,
	})
	if err != nil {
		die(err)
	}
	return cli
}

// args parses the flags of a subcommand and checks its positional count.
func args(fs *flag.FlagSet, argv []string, n int, usage string) []string {
	_ = fs.Parse(argv)
	if fs.NArg() != n {
		fmt.Fprintf(os.Stderr, "usage: peer-clientv3 %s %s\n", fs.Name(), usage)
		os.Exit(2)
	}
	return fs.Args()
}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: peer-clientv3 version|put|get|delete|watch|campaign|observe [flags] ARGS")
		os.Exit(2)
	}
	cmd, argv := os.Args[1], os.Args[2:]
	var c common
	switch cmd {
	case "version":
		emit("CLIENTV3", clientVersion())
	case "put":
		fs := flags(cmd, &c)
		a := args(fs, argv, 2, "[--endpoints E] KEY VALUE")
		put(c, a[0], a[1])
	case "get":
		fs := flags(cmd, &c)
		prefix := fs.Bool("prefix", false, "every key under KEY")
		a := args(fs, argv, 1, "[--endpoints E] [--prefix] KEY")
		get(c, a[0], *prefix)
	case "delete":
		fs := flags(cmd, &c)
		a := args(fs, argv, 1, "[--endpoints E] KEY")
		del(c, a[0])
	case "watch":
		fs := flags(cmd, &c)
		a := args(fs, argv, 1, "[--endpoints E] PREFIX")
		watch(c, a[0])
	case "campaign":
		fs := flags(cmd, &c)
		election := fs.String("election", "/testelection", "the election's prefix")
		node := fs.String("node", "", "this candidate's proposal (its name)")
		ttl := fs.Int("ttl", 1, "the session's lease TTL in seconds")
		args(fs, argv, 0, "[--endpoints E] --election NAME --node NODE [--ttl 1]")
		if *node == "" {
			fmt.Fprintln(os.Stderr, "campaign needs --node")
			os.Exit(2)
		}
		campaign(c, *election, *node, *ttl)
	case "observe":
		fs := flags(cmd, &c)
		election := fs.String("election", "/testelection", "the election's prefix")
		args(fs, argv, 0, "[--endpoints E] --election NAME")
		observe(c, *election)
	default:
		fmt.Fprintf(os.Stderr, "unknown command %q\n", cmd)
		os.Exit(2)
	}
}

// The tutorial's PUT: a context with a timeout around one request.
func put(c common, key, value string) {
	cli := connect(c)
	defer cli.Close()
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	resp, err := cli.Put(ctx, key, value)
	cancel()
	if err != nil {
		die(err)
	}
	emit("OK", strconv.FormatInt(resp.Header.Revision, 10))
}

// The tutorial's GET.
func get(c common, key string, prefix bool) {
	cli := connect(c)
	defer cli.Close()
	var opts []clientv3.OpOption
	if prefix {
		opts = append(opts, clientv3.WithPrefix())
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	resp, err := cli.Get(ctx, key, opts...)
	cancel()
	if err != nil {
		die(err)
	}
	for _, kv := range resp.Kvs {
		emit("KV", word(string(kv.Key)), word(string(kv.Value)))
	}
	emit("COUNT", strconv.Itoa(len(resp.Kvs)))
}

func del(c common, key string) {
	cli := connect(c)
	defer cli.Close()
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	resp, err := cli.Delete(ctx, key)
	cancel()
	if err != nil {
		die(err)
	}
	emit("OK", strconv.FormatInt(resp.Header.Revision, 10))
}

// The tutorial's Watch on a prefix, until killed.
func watch(c common, prefix string) {
	cli := connect(c)
	defer cli.Close()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	wch := cli.Watch(clientv3.WithRequireLeader(ctx), prefix, clientv3.WithPrefix(), clientv3.WithCreatedNotify())
	for resp := range wch {
		if err := resp.Err(); err != nil {
			die(err)
		}
		if resp.Created {
			emit("READY")
		}
		for _, ev := range resp.Events {
			switch ev.Type {
			case clientv3.EventTypePut:
				emit("PUT", word(string(ev.Kv.Key)), word(string(ev.Kv.Value)))
			case clientv3.EventTypeDelete:
				emit("DELETE", word(string(ev.Kv.Key)))
			}
		}
	}
	if ctx.Err() == nil {
		die(errors.New("watch channel closed"))
	}
}

// The tutorial's leader election: a session with a 1 s TTL, Campaign, then
// lead until killed. SIGKILL leaves the lease to expire (the next candidate
// leads within the TTL); SIGTERM/SIGINT resign first.
func campaign(c common, election, node string, ttl int) {
	cli := connect(c)
	defer cli.Close()
	s, err := concurrency.NewSession(cli, concurrency.WithTTL(ttl))
	if err != nil {
		die(err)
	}
	defer s.Close()
	e := concurrency.NewElection(s, election)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	emit("CAMPAIGN", word(node), strconv.FormatInt(int64(s.Lease()), 16))
	if err := e.Campaign(ctx, node); err != nil {
		if ctx.Err() != nil {
			return
		}
		die(err)
	}
	emit("LEADER", word(node))
	select {
	case <-ctx.Done():
		rctx, cancel := context.WithTimeout(context.Background(), c.timeout)
		err := e.Resign(rctx)
		cancel()
		if err != nil {
			die(err)
		}
		emit("RESIGNED", word(node))
	case <-s.Done():
		emit("LOST", word(node))
		os.Exit(1)
	}
}

// Every leader of the election, as Observe reports them, until killed.
func observe(c common, election string) {
	cli := connect(c)
	defer cli.Close()
	s, err := concurrency.NewSession(cli)
	if err != nil {
		die(err)
	}
	defer s.Close()
	e := concurrency.NewElection(s, election)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var last string
	for resp := range e.Observe(ctx) {
		if len(resp.Kvs) == 0 {
			continue
		}
		kv := resp.Kvs[0]
		id := string(kv.Key) + "@" + strconv.FormatInt(kv.CreateRevision, 10)
		if id == last {
			continue
		}
		last = id
		emit("LEADER", word(string(kv.Value)))
	}
}
