// etcd-bench: the load of tinykv-bench's closed loop (-c N -P 1), run
// against etcd through its own Go client (clientv3 over gRPC), so that
// tools/bench-cluster.sh compares tinykv and etcd under the same design.
//
// N clients, each with its own gRPC connection (unless -conns shares fewer
// between them) and one request in flight (closed loop); keys "key:%012d" (16 bytes) drawn uniformly from the
// keyspace, values of -d bytes; puts, or gets that are linearizable
// (clientv3's default: serializable=false, so etcd runs ReadIndex through
// the leader) unless -serializable is given.  Prints one JSON object with
// the fields that tools/bench-cluster.sh reads from tinykv-bench --json:
// seconds, requests, ok, errors, ops_per_sec, latency_us {p50, p99, ...}.
//
// Built offline by tools/bench-cluster.sh against Debian's
// golang-etcd-server-dev (GO111MODULE=off, GOPATH=/usr/share/gocode).
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"go.etcd.io/etcd/clientv3"
)

type config struct {
	endpoints    []string
	op           string
	clients      int
	conns        int
	keyspace     int
	valueSize    int
	duration     time.Duration
	timeout      time.Duration
	preload      bool
	serializable bool
	seed         int64
}

// One client's results: latencies of successful requests in microseconds.
type clientResult struct {
	lat    []float64
	errors uint64
	first  error
}

func key(i int) string { return fmt.Sprintf("key:%012d", i) }

func newClient(c *config) (*clientv3.Client, error) {
	return clientv3.New(clientv3.Config{
		Endpoints:   c.endpoints,
		DialTimeout: 5 * time.Second,
		// each clientv3.Client is one gRPC connection
	})
}

func doOne(ctx context.Context, cli *clientv3.Client, c *config, k string, val string) error {
	cctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	var err error
	if c.op == "put" {
		_, err = cli.Put(cctx, k, val)
	} else if c.serializable {
		_, err = cli.Get(cctx, k, clientv3.WithSerializable())
	} else {
		_, err = cli.Get(cctx, k)
	}
	return err
}

// preload writes every key once, the keyspace split between the clients.
func preload(clis []*clientv3.Client, c *config, val string) error {
	var wg sync.WaitGroup
	errs := make([]error, len(clis))
	for w := range clis {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := w; i < c.keyspace; i += len(clis) {
				ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
				_, err := clis[w].Put(ctx, key(i), val)
				cancel()
				if err != nil {
					errs[w] = err
					return
				}
			}
		}(w)
	}
	wg.Wait()
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

func quantile(sorted []float64, q float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(q * float64(len(sorted)))
	if i >= len(sorted) {
		i = len(sorted) - 1
	}
	return sorted[i]
}

func main() {
	var c config
	var endpoints string
	flag.StringVar(&endpoints, "endpoints", "127.0.0.1:2379", "comma-separated etcd client endpoints")
	flag.StringVar(&c.op, "t", "put", "request type: put or get")
	flag.IntVar(&c.clients, "c", 1, "clients, each with one request in flight")
	flag.IntVar(&c.conns, "conns", 0, "gRPC connections, shared round-robin by the clients (default: one per client)")
	flag.IntVar(&c.keyspace, "k", 100000, "number of distinct keys")
	flag.IntVar(&c.valueSize, "d", 100, "value size of puts and of the preload")
	flag.DurationVar(&c.duration, "D", 10*time.Second, "duration of the run")
	flag.DurationVar(&c.timeout, "timeout", 10*time.Second, "request timeout")
	flag.BoolVar(&c.preload, "preload", false, "write every key once before the run")
	flag.BoolVar(&c.serializable, "serializable", false, "serializable (possibly stale) gets instead of linearizable ones")
	flag.Int64Var(&c.seed, "seed", 1, "random seed")
	flag.Parse()
	c.endpoints = strings.Split(endpoints, ",")
	if c.conns <= 0 || c.conns > c.clients {
		c.conns = c.clients
	}
	if (c.op != "put" && c.op != "get") || c.clients < 1 || c.keyspace < 1 || c.valueSize < 0 {
		fmt.Fprintln(os.Stderr, "etcd-bench: bad arguments (see -h)")
		os.Exit(2)
	}
	val := strings.Repeat("v", c.valueSize)

	conns := make([]*clientv3.Client, c.conns)
	for i := range conns {
		cli, err := newClient(&c)
		if err != nil {
			fmt.Fprintf(os.Stderr, "etcd-bench: connect %s: %v\n", endpoints, err)
			os.Exit(1)
		}
		defer cli.Close()
		conns[i] = cli
	}
	// client i's connection
	clis := make([]*clientv3.Client, c.clients)
	for i := range clis {
		clis[i] = conns[i%c.conns]
	}
	// a first request on each connection, so that dialling is not timed
	for i, cli := range conns {
		ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
		_, err := cli.Get(ctx, key(i%c.keyspace), clientv3.WithSerializable())
		cancel()
		if err != nil {
			fmt.Fprintf(os.Stderr, "etcd-bench: first request on %s: %v\n", endpoints, err)
			os.Exit(1)
		}
	}
	var preloadS float64
	if c.preload {
		t0 := time.Now()
		if err := preload(clis, &c, val); err != nil {
			fmt.Fprintf(os.Stderr, "etcd-bench: preload: %v\n", err)
			os.Exit(1)
		}
		preloadS = time.Since(t0).Seconds()
	}

	results := make([]clientResult, c.clients)
	var wg sync.WaitGroup
	start := time.Now()
	deadline := start.Add(c.duration)
	for w := range clis {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			r := &results[w]
			rng := rand.New(rand.NewSource(c.seed*1000003 + int64(w)))
			for time.Now().Before(deadline) {
				k := key(rng.Intn(c.keyspace))
				t0 := time.Now()
				if err := doOne(context.Background(), clis[w], &c, k, val); err != nil {
					r.errors++
					if r.first == nil {
						r.first = err
					}
					continue
				}
				r.lat = append(r.lat, float64(time.Since(t0).Nanoseconds())/1e3)
			}
		}(w)
	}
	wg.Wait()
	elapsed := time.Since(start).Seconds()

	var all []float64
	var errs uint64
	var firstErr error
	for i := range results {
		all = append(all, results[i].lat...)
		errs += results[i].errors
		if firstErr == nil {
			firstErr = results[i].first
		}
	}
	sort.Float64s(all)
	ok := uint64(len(all))
	sum := 0.0
	for _, v := range all {
		sum += v
	}
	mean := 0.0
	if ok > 0 {
		mean = sum / float64(ok)
	}
	out := map[string]interface{}{
		"tool":            "etcd-bench",
		"endpoints":       c.endpoints,
		"type":            c.op,
		"linearizable":    c.op == "get" && !c.serializable,
		"clients":         c.clients,
		"connections":     c.conns,
		"pipeline":        1,
		"keyspace":        c.keyspace,
		"value_size":      c.valueSize,
		"preload_seconds": preloadS,
		"seconds":         elapsed,
		"requests":        ok + errs,
		"ok":              ok,
		"errors":          errs,
		"ops_per_sec":     float64(ok) / elapsed,
		"latency_us": map[string]float64{
			"mean": mean, "p50": quantile(all, 0.5), "p90": quantile(all, 0.9),
			"p99": quantile(all, 0.99), "p99_9": quantile(all, 0.999),
			"max": quantile(all, 1),
		},
	}
	if firstErr != nil {
		out["first_error"] = firstErr.Error()
	}
	b, _ := json.Marshal(out)
	fmt.Println(string(b))
}
