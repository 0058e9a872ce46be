package sim

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
)

type proto uint8

const (
	protoHTTP proto = iota
	protoGRPC
	protoDB
	protoKafka
	protoInternal
)

// node is one call in a route's call tree: the caller's client span plus the
// callee's server span, or a client span only when the callee is an
// uninstrumented peer (a database).
type node struct {
	svc   string
	proto proto
	verb  string // how the callee wraps a downstream error: "charge card: <err>"

	method, route, path string // HTTP; path has the {id} the request fills in
	port                int
	rpcService          string // gRPC
	rpcMethod           string

	dbSystem, dbNamespace, dbOp, dbTable, dbQuery string

	topic string // Kafka

	selfMs   float64 // median time spent in the callee itself
	prob     float64 // chance the call is made; 0 means always
	children []*node
}

func (n *node) serverName() string {
	switch n.proto {
	case protoGRPC:
		return n.rpcService + "/" + n.rpcMethod
	case protoKafka:
		return "process " + n.topic
	case protoInternal:
		return n.verb
	}
	return n.method + " " + n.route
}

func (n *node) clientName() string {
	switch n.proto {
	case protoDB:
		if n.dbTable == "" {
			return n.dbOp
		}
		return n.dbOp + " " + n.dbTable
	case protoKafka:
		return "send " + n.topic
	}
	return n.serverName()
}

// reaches reports whether the call tree under n calls svc.
func (n *node) reaches(svc string) bool {
	if n.svc == svc {
		return true
	}
	for _, c := range n.children {
		if c.reaches(svc) {
			return true
		}
	}
	return false
}

type route struct {
	weight float64
	root   *node
}

type serviceDef struct {
	name    string
	version string
	pods    int
}

type topology struct {
	entry    string
	routes   []route
	consumer *node // the asynchronous consumer of the Kafka hop, root of its own traces
	batch    bool  // the notifier consumes the hop in batches instead (see batch.go)
	services []serviceDef
	peers    []string // uninstrumented dependencies
}

// Names of the batch consumer and the peer it sends through.
const (
	batchConsumer = "notifier"
	mailRelay     = "mail-relay"
)

// newTopology is the shop. With batch, the notifier consumes order-events
// in batches in place of the notifications consumer.
func newTopology(batch bool) *topology {
	consumerSvc := "notifications"
	if batch {
		consumerSvc = batchConsumer
	}
	redisGet := &node{svc: "session-cache", proto: protoDB, dbSystem: "redis", dbNamespace: "0", dbOp: "GET", dbQuery: "GET session:*", selfMs: 0.6}
	redisCart := &node{svc: "session-cache", proto: protoDB, dbSystem: "redis", dbNamespace: "0", dbOp: "HGETALL", dbQuery: "HGETALL cart:*", selfMs: 0.8}
	redisSet := &node{svc: "session-cache", proto: protoDB, dbSystem: "redis", dbNamespace: "0", dbOp: "SET", dbQuery: "SET session:* ? EX 86400", selfMs: 0.7}
	validate := &node{svc: "auth", proto: protoGRPC, verb: "validate token", rpcService: "auth.v1.AuthService", rpcMethod: "ValidateToken", port: 50051, selfMs: 2.5, children: []*node{redisGet}}
	recs := func(prob float64) *node {
		return &node{svc: "recommendations", proto: protoHTTP, verb: "recommend", method: "GET", route: "/v1/recommendations", path: "/v1/recommendations", port: 8080, selfMs: 28, prob: prob}
	}
	getCart := &node{svc: "cart", proto: protoGRPC, verb: "load cart", rpcService: "cart.v1.CartService", rpcMethod: "GetCart", port: 50051, selfMs: 2, children: []*node{redisCart}}

	product := &node{svc: "storefront", proto: protoHTTP, verb: "render product", method: "GET", route: "/product/{id}", path: "/product/{id}", port: 8080, selfMs: 6, children: []*node{
		validate,
		{svc: "catalog", proto: protoHTTP, verb: "get product", method: "GET", route: "/v1/products/{id}", path: "/v1/products/{id}", port: 8080, selfMs: 4, children: []*node{
			{svc: "catalog-db", proto: protoDB, dbSystem: "postgresql", dbNamespace: "catalog", dbOp: "SELECT", dbTable: "products", dbQuery: "SELECT id, title, price_cents FROM products WHERE id = $1", selfMs: 2.2},
		}},
		{svc: "inventory", proto: protoGRPC, verb: "get stock", rpcService: "inventory.v1.InventoryService", rpcMethod: "GetStock", port: 50051, selfMs: 3},
		recs(0.9),
	}}

	cart := &node{svc: "storefront", proto: protoHTTP, verb: "render cart", method: "GET", route: "/cart", path: "/cart", port: 8080, selfMs: 4, children: []*node{
		validate, getCart, recs(0.5),
	}}

	checkout := &node{svc: "storefront", proto: protoHTTP, verb: "checkout", method: "POST", route: "/checkout", path: "/checkout", port: 8080, selfMs: 5, children: []*node{
		validate,
		{svc: "checkout", proto: protoHTTP, verb: "place order", method: "POST", route: "/api/v1/checkout", path: "/api/v1/checkout", port: 8080, selfMs: 7, children: []*node{
			getCart,
			{svc: "inventory", proto: protoGRPC, verb: "reserve stock", rpcService: "inventory.v1.InventoryService", rpcMethod: "ReserveStock", port: 50051, selfMs: 5},
			{svc: "payments", proto: protoGRPC, verb: "charge card", rpcService: "payments.v1.PaymentService", rpcMethod: "Charge", port: 50051, selfMs: 6, children: []*node{
				{svc: "ledger-db", proto: protoDB, dbSystem: "postgresql", dbNamespace: "ledger", dbOp: "SELECT", dbTable: "accounts", dbQuery: "SELECT balance_cents, currency FROM accounts WHERE id = $1", selfMs: 2.5},
				{svc: "ledger-db", proto: protoDB, dbSystem: "postgresql", dbNamespace: "ledger", dbOp: "INSERT", dbTable: "ledger_entries", dbQuery: "INSERT INTO ledger_entries (account_id, amount_cents, order_id) VALUES ($1, $2, $3)", selfMs: 3.5},
			}},
			{svc: consumerSvc, proto: protoKafka, topic: "order-events", selfMs: 1.8},
		}},
	}}

	login := &node{svc: "storefront", proto: protoHTTP, verb: "login", method: "POST", route: "/login", path: "/login", port: 8080, selfMs: 4, children: []*node{
		{svc: "auth", proto: protoGRPC, verb: "login", rpcService: "auth.v1.AuthService", rpcMethod: "Login", port: 50051, selfMs: 45, children: []*node{redisSet}},
	}}

	consumer := &node{svc: "notifications", proto: protoKafka, verb: "send confirmation", topic: "order-events", selfMs: 2, children: []*node{
		{svc: "notifications", proto: protoInternal, verb: "render order-confirmation", selfMs: 3.5},
	}}

	t := &topology{
		entry: "storefront",
		routes: []route{
			{weight: 0.45, root: product},
			{weight: 0.20, root: cart},
			{weight: 0.25, root: checkout},
			{weight: 0.10, root: login},
		},
		consumer: consumer,
		services: []serviceDef{
			{"storefront", "3.14.2", 4},
			{"auth", "1.9.3", 4},
			{"catalog", "2.3.0", 3},
			{"cart", "1.6.1", 3},
			{"checkout", "4.2.0", 3},
			{"payments", "2.8.4", 4},
			{"inventory", "1.12.0", 3},
			{"recommendations", "0.21.5", 2},
			{"notifications", "1.4.2", 3},
		},
		peers: []string{"catalog-db", "ledger-db", "session-cache"},
	}
	if batch {
		t.batch, t.consumer = true, nil
		t.services[len(t.services)-1] = serviceDef{batchConsumer, "2.3.0", 3}
		t.peers = append(t.peers, mailRelay)
	}
	return t
}

func (t *topology) isPeer(name string) bool { return slices.Contains(t.peers, name) }

// callersOf lists the services whose calls reach svc directly.
func (t *topology) callersOf(svc string) []string {
	seen := map[string]bool{}
	var walk func(parent string, n *node)
	walk = func(parent string, n *node) {
		if n.svc == svc && parent != "" && parent != svc {
			seen[parent] = true
		}
		for _, c := range n.children {
			walk(n.svc, c)
		}
	}
	for _, r := range t.routes {
		walk("", r.root)
	}
	out := make([]string, 0, len(seen))
	for s := range seen {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

// poolName is how clients name their connection pool to peer: the
// database for PostgreSQL, the peer itself otherwise.
func (t *topology) poolName(peer string) string {
	var find func(n *node) *node
	find = func(n *node) *node {
		if n.svc == peer {
			return n
		}
		for _, c := range n.children {
			if f := find(c); f != nil {
				return f
			}
		}
		return nil
	}
	for _, r := range t.routes {
		if n := find(r.root); n != nil && n.dbSystem == "postgresql" {
			return n.dbNamespace
		}
	}
	return peer
}

func nodeNames(batch bool) []string {
	t := newTopology(batch)
	var out []string
	for _, s := range t.services {
		out = append(out, s.name)
	}
	out = append(out, t.peers...)
	sort.Strings(out)
	return out
}

func knownNode(name string, batch bool) bool { return slices.Contains(nodeNames(batch), name) }

// pod is one resource: a service instance on a Kubernetes node.
type pod struct {
	svc   string
	name  string
	attrs []attr
}

type fleet struct {
	pods    []pod
	bySvc   map[string][]int
	planted map[string]int // service → index of its pod that carries the planted attribute
}

const nodeCount = 9

// newFleet places every service's pods on distinct nodes. The services that
// can originate the failure each get one pod carrying the planted attribute;
// their other pods keep away from a planted node.
func newFleet(rng *rand.Rand, t *topology, plantKey, plantVal string, plantedSvcs []string) *fleet {
	f := &fleet{bySvc: map[string][]int{}, planted: map[string]int{}}
	const alnum = "bcdfghjklmnpqrstvwxz2456789"
	randName := func(n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = alnum[rng.IntN(len(alnum))]
		}
		return string(b)
	}
	for _, sd := range t.services {
		isPlanted := plantKey != "" && slices.Contains(plantedSvcs, sd.name)
		nodes := rng.Perm(nodeCount)
		if isPlanted && plantKey == "k8s.node.name" {
			nodes = slices.DeleteFunc(nodes, func(n int) bool { return fmt.Sprintf("node-%d", n+1) == plantVal })
		}
		rs := randName(9)
		plantedPod := -1
		if isPlanted {
			plantedPod = rng.IntN(sd.pods)
		}
		for i := 0; i < sd.pods; i++ {
			nodeName := fmt.Sprintf("node-%d", nodes[i%len(nodes)]+1)
			zone := "eu-west-1" + string(rune('a'+(nodes[i%len(nodes)])%3))
			p := pod{svc: sd.name, name: sd.name + "-" + rs + "-" + randName(5)}
			p.attrs = []attr{
				str("service.name", sd.name),
				str("service.namespace", "shop"),
				str("service.version", sd.version),
				str("service.instance.id", p.name),
				str("deployment.environment.name", "sim"),
				str("deployment.environment", "sim"),
				str("k8s.namespace.name", "shop"),
				str("k8s.deployment.name", sd.name),
				str("k8s.pod.name", p.name),
				str("k8s.node.name", nodeName),
				str("cloud.provider", "aws"),
				str("cloud.region", "eu-west-1"),
				str("cloud.availability_zone", zone),
				str("telemetry.sdk.language", "go"),
				str("telemetry.sdk.name", "opentelemetry"),
				str("telemetry.sdk.version", "1.47.0"),
			}
			if i == plantedPod {
				p.attrs = plant(p.attrs, plantKey, plantVal)
				if plantKey == "k8s.pod.name" || plantKey == "service.instance.id" {
					p.name = plantVal
				}
				f.planted[sd.name] = len(f.pods)
			}
			f.bySvc[sd.name] = append(f.bySvc[sd.name], len(f.pods))
			f.pods = append(f.pods, p)
		}
	}
	return f
}

// plant sets key=val, replacing the attribute when the resource has it.
func plant(attrs []attr, key, val string) []attr {
	for i := range attrs {
		if attrs[i].key == key {
			attrs[i] = str(key, val)
			return attrs
		}
	}
	return append(attrs, str(key, val))
}
