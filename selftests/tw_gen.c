// SPDX-License-Identifier: GPL-2.0
/*
 * tw_gen - make TCP connections end in TIME_WAIT (or FIN_WAIT2) on
 * purpose, so that tests can compare what tw_stats reports with ss(8)
 * and /proc/net/sockstat.  It is linked statically because it runs in a
 * busybox initramfs that has no libc.
 *
 * Build:  gcc -O2 -Wall -Wextra -static -o tw_gen tw_gen.c
 *
 * USAGE
 *   tw_gen pairs [-v] [-n COUNT] [-a ADDR] [-p PORT] [-c client|server]
 *                [-b BIND_ADDR] [--fin-wait2 SECONDS] [--v4mapped]
 *                [--no-listen] [--seq]
 *	Listen on ADDR:PORT (default 127.0.0.1, port 0 = any free one) and
 *	make COUNT connections to it (default 1, at most 256 at a time),
 *	each closed so that it leaves exactly one TIME_WAIT: on the client
 *	with -c client (the default: the client closes first, the server
 *	after EOF), on the server's accepted socket with -c server (the
 *	server closes right after accept, the client after EOF).  Returns
 *	once /proc/net/tcp{,6} shows all COUNT of them in TIME_WAIT.
 *	ADDR may be IPv6 (::1, fe80::1%eth0) or any local address.
 *	-c client: connect() picks the local port, or bind() to BIND_ADDR
 *	port 0 does with -b.  Should connect() take over a TIME_WAIT of
 *	this run (tcp_tw_reuse, on loopback by default, once it is 1 s
 *	old) tw_gen fails rather than come out short.
 *	-c server: each client is bound to the next port of
 *	ip_local_port_range (on BIND_ADDR with -b) that this run has not
 *	used and no TIME_WAIT on the listener's port has as its peer, since
 *	a SYN from such a port would end that TIME_WAIT.
 *	--v4mapped: listen on [::] with IPV6_V6ONLY=0 and connect from
 *	AF_INET6 sockets to ::ffff:ADDR, so both ends are v4-mapped.
 *	--no-listen: ADDR:PORT is another process's listener ("tw_gen
 *	listen"); the client closes first.  PORT is required.
 *	--fin-wait2 SECONDS: the client closes first, but the server holds
 *	its sockets in CLOSE_WAIT, which leaves the clients as orphaned
 *	FIN_WAIT2 minisockets; after SECONDS (0: until EOF on stdin; either
 *	way SIGTERM or SIGINT ends it early) the server closes and they go
 *	on to TIME_WAIT.  SECONDS must be below net.ipv4.tcp_fin_timeout.
 *	-v: print "made COUNT local=ADDR:MINPORT-MAXPORT server=ADDR:PORT"
 *	once all are in TIME_WAIT (with --fin-wait2: all in FIN_WAIT2,
 *	before the hold, so a test can look then).  IPv6 addresses are in
 *	brackets.  Without -v nothing is printed on success.
 *	--seq (-c server only): once all are in TIME_WAIT, print for each,
 *	after the -v line, "seq local=ADDR:PORT remote=ADDR:PORT
 *	rcv_nxt=R snd_nxt=S": local is the TIME_WAIT (server) end, remote
 *	the client, R the sequence number the TIME_WAIT expects next (the
 *	client's FIN + 1) and S the one it would send next (its own FIN +
 *	1), both unsigned decimal, for "tw_gen seg".  They are read with
 *	TCP_REPAIR just before the close, which needs CAP_NET_ADMIN;
 *	nothing is ever sent on these connections, so the FINs carry what
 *	was read.
 *
 *   tw_gen listen [-a ADDR] -p PORT [--v4mapped] [--close-first]
 *                 [--hold COUNT]
 *	Accept connections on ADDR:PORT ([::] with --v4mapped) until
 *	SIGTERM or SIGINT, then exit 0.  Each is closed after the peer's
 *	EOF, or with --close-first right after accept, which leaves the
 *	TIME_WAIT on this side.  Prints "listening" once it accepts.
 *	--hold COUNT: first make COUNT connections to itself (from ports
 *	connect() picks, ADDR as --v4mapped says) and keep both ends open,
 *	ESTABLISHED, until the end; prints "held COUNT" before "listening".
 *	The ports stay held as long as it runs, unlike a TIME_WAIT's.
 *
 *   tw_gen connect -a ADDR -p PORT [-b BIND_ADDR] [--lport N]
 *                  [--close | --close-last] [--v4mapped] [-n TRIES]
 *	One connect() attempt, given up after 10 s.  Prints "ok" and exits
 *	0 on success, or the errno name of the failed bind() or connect()
 *	(EADDRNOTAVAIL, ECONNREFUSED, EADDRINUSE, ETIMEDOUT, ...) and exits
 *	1.  --lport binds to that local port first, without SO_REUSEADDR.
 *	-n TRIES: that many attempts from one process, each from a socket
 *	of its own, closed after it; prints "NAME COUNT" for each outcome
 *	(ok or an errno name) in the order they first came, and exits 0
 *	only if all succeeded.
 *	--close closes first and waits until this socket is in TIME_WAIT,
 *	for a peer that closes after EOF (plain "listen").  --close-last
 *	waits for the peer to close first ("listen --close-first"), then
 *	closes and waits until the peer's socket is in TIME_WAIT.  Without
 *	either the socket is closed by exit and nothing is waited for.
 *
 *   tw_gen seg --from ADDR:PORT --to ADDR:PORT --flags FLAGS [--seq N]
 *              [--ack N] [--count K]
 *	Send K (default 1) bare TCP segments (no data, no options, window
 *	65535) from ADDR:PORT to ADDR:PORT through a raw socket, which
 *	needs CAP_NET_RAW; the kernel writes the IP header, so the source
 *	must be a local address.  FLAGS are letters of FSRPAU (FIN, SYN,
 *	RST, PSH, ACK, URG), e.g. FA; --seq and --ack default to 0 and the
 *	ack field is filled in whatever the flags.  IPv6 addresses are in
 *	brackets ([::1]:80); both ends must be of one family, and v4-mapped
 *	ones ([::ffff:127.0.0.1]:80, as pairs --seq --v4mapped prints them)
 *	are sent as IPv4, as such connections' segments travel.  Prints
 *	nothing on success.
 *	With the R and S of pairs --seq, from remote to local:
 *	"--flags R --seq R" ends that TIME_WAIT, unless net.ipv4.tcp_rfc1337
 *	is 1 (then it is ignored); "--flags FA --seq R-1 --ack S" is a
 *	retransmitted FIN, which restarts its TIME_WAIT timer.  The
 *	TIME_WAIT answers that FIN with an ACK, and the client, long
 *	closed, answers the ACK with a RST that ends the TIME_WAIT like the
 *	first one: test the restart with tcp_rfc1337=1.
 *
 * Any other failure prints "tw_gen: ..." on stderr and exits 1; a usage
 * error exits 2.  Every wait but listen's and the hold of --fin-wait2 0
 * gives up after 10 s.  Every tw_gen runs on the lowest CPU it may use,
 * which keeps loopback segments in order (see pin_cpu()).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define DEADLINE_MS	10000	/* no wait may take longer than this */
#define INFLIGHT	256	/* connections being made at once */
#define BACKLOG		4096

/* TCP states as /proc/net/tcp prints them (include/net/tcp_states.h). */
#define ST_FIN_WAIT2	5
#define ST_TIME_WAIT	6

static const char usage_text[] =
"usage: tw_gen pairs [-v] [-n COUNT] [-a ADDR] [-p PORT] [-c client|server]\n"
"                    [-b BIND_ADDR] [--fin-wait2 SECONDS] [--v4mapped]\n"
"                    [--no-listen] [--seq]\n"
"       tw_gen listen [-a ADDR] -p PORT [--v4mapped] [--close-first]\n"
"                     [--hold COUNT]\n"
"       tw_gen connect -a ADDR -p PORT [-b BIND_ADDR] [--lport N]\n"
"                      [--close | --close-last] [--v4mapped] [-n TRIES]\n"
"       tw_gen seg --from ADDR:PORT --to ADDR:PORT --flags FSRPAU\n"
"                  [--seq N] [--ack N] [--count K]\n";

/* An address with its port, ready for bind() or connect(). */
struct addr {
	struct sockaddr_storage ss;
	socklen_t len;
};

enum conn_kind {
	C_CONNECTING,		/* client, connect() in progress */
	C_WAIT_EOF,		/* client, closes once the server has */
	S_WAIT_EOF,		/* server, closes (or holds) after EOF */
};

struct conn {
	int fd;
	enum conn_kind kind;
};

/* pairs --seq: one TIME_WAIT, and what a segment to it must carry. */
struct tw_seq {
	struct addr local, remote;
	uint32_t rcv_nxt, snd_nxt;
};

/* Everything "pairs" and "listen" juggle. */
struct run {
	unsigned int n;			/* connections wanted */
	bool server_first;		/* -c server */
	bool fin_wait2;
	bool no_listen;
	bool have_bind;
	bool v4mapped;
	bool seq;			/* --seq */
	struct addr srv;		/* where clients connect to */
	struct addr bind;		/* -b, or the wildcard */
	unsigned int next_port;		/* -c server: next to try */
	unsigned int port_hi;
	int lfd;			/* our listener, or -1 */

	struct conn *c;
	struct pollfd *pfd;
	unsigned int nc, cap;
	int *held;			/* --fin-wait2 CLOSE_WAIT sockets */
	unsigned int nheld;
	struct tw_seq *seqs;		/* --seq, one per accept */
	unsigned int nseq;

	unsigned int launched, accepted, finished;
	unsigned int pmin, pmax;	/* client ports seen */
	bool have_first;
	struct addr local, peer;	/* of the first client */
};

/* Client ports of this run: what /proc/net/tcp entries must match. */
static unsigned char our_ports[65536 / 8];
/* -c server: client ports that would disturb an earlier run. */
static unsigned char old_ports[65536 / 8];

static volatile sig_atomic_t got_signal;

static void die(const char *fmt, ...)
	__attribute__((noreturn, format(printf, 1, 2)));

static void die(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("tw_gen: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static void usage_err(const char *fmt, ...)
	__attribute__((noreturn, format(printf, 1, 2)));

static void usage_err(const char *fmt, ...)
{
	va_list ap;

	fputs("tw_gen: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n%s", usage_text);
	exit(2);
}

/* getopt_long() said '?' or, with a leading ':', ':'. */
static void bad_option(const char *cmd, char **argv, int opt)
{
	usage_err("%s: %s '%s'", cmd,
		  opt == ':' ? "missing argument to" : "unknown option",
		  argv[optind - 1]);
}

/*
 * Tests match on these names, so spell them out rather than rely on
 * strerrorname_np(), which older or non-glibc libcs lack.
 */
static const char *errno_name(int e)
{
	static char buf[32];

	switch (e) {
	case EADDRNOTAVAIL:	return "EADDRNOTAVAIL";
	case EADDRINUSE:	return "EADDRINUSE";
	case ECONNREFUSED:	return "ECONNREFUSED";
	case ECONNRESET:	return "ECONNRESET";
	case ECONNABORTED:	return "ECONNABORTED";
	case ETIMEDOUT:		return "ETIMEDOUT";
	case ENETUNREACH:	return "ENETUNREACH";
	case EHOSTUNREACH:	return "EHOSTUNREACH";
	case ENETDOWN:		return "ENETDOWN";
	case EAFNOSUPPORT:	return "EAFNOSUPPORT";
	case EPROTONOSUPPORT:	return "EPROTONOSUPPORT";
	case EACCES:		return "EACCES";
	case EPERM:		return "EPERM";
	case EINVAL:		return "EINVAL";
	case EISCONN:		return "EISCONN";
	case EALREADY:		return "EALREADY";
	case EAGAIN:		return "EAGAIN";
	case EINTR:		return "EINTR";
	case EMFILE:		return "EMFILE";
	case ENFILE:		return "ENFILE";
	case ENOBUFS:		return "ENOBUFS";
	case ENOMEM:		return "ENOMEM";
	case ENODEV:		return "ENODEV";
	case EPIPE:		return "EPIPE";
	}
	snprintf(buf, sizeof(buf), "ERRNO_%d", e);
	return buf;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* Milliseconds left until end for poll(): 0, not a negative (forever). */
static int ms_left(long long end)
{
	long long left = end - now_ms();

	return left > 0 ? left : 0;
}

static unsigned long parse_num(const char *s, unsigned long max,
			       const char *what)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || *s == '-' || v > max)
		usage_err("bad %s '%s' (0..%lu)", what, s, max);
	return v;
}

/* A sysctl's value, or -1 when it cannot be read. */
static long read_sysctl(const char *path)
{
	FILE *f = fopen(path, "re");
	long v = -1;

	if (!f)
		return -1;
	if (fscanf(f, "%ld", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

static void read_port_range(struct run *r)
{
	const char *path = "/proc/sys/net/ipv4/ip_local_port_range";
	FILE *f = fopen(path, "re");

	if (!f || fscanf(f, "%u %u", &r->next_port, &r->port_hi) != 2 ||
	    r->next_port > r->port_hi || r->port_hi > 65535)
		die("cannot read %s", path);
	fclose(f);
}

static unsigned int addr_port(const struct addr *a)
{
	if (a->ss.ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)&a->ss)->sin_port);
	return ntohs(((const struct sockaddr_in6 *)&a->ss)->sin6_port);
}

static void set_port(struct addr *a, unsigned int port)
{
	if (a->ss.ss_family == AF_INET)
		((struct sockaddr_in *)&a->ss)->sin_port = htons(port);
	else
		((struct sockaddr_in6 *)&a->ss)->sin6_port = htons(port);
}

static void set_any(struct addr *a, int family, unsigned int port)
{
	memset(a, 0, sizeof(*a));
	a->ss.ss_family = family;
	a->len = family == AF_INET ? sizeof(struct sockaddr_in) :
				     sizeof(struct sockaddr_in6);
	set_port(a, port);
}

/*
 * IPv4 or IPv6 (with an optional %scope); with v4mapped an IPv4
 * address becomes ::ffff:a.b.c.d in an AF_INET6 sockaddr.
 */
static bool parse_addr(const char *str, unsigned int port, bool v4mapped,
		       struct addr *a)
{
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&a->ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)&a->ss;
	char buf[INET6_ADDRSTRLEN + IF_NAMESIZE + 1];
	struct in_addr v4;
	char *scope;

	if (inet_pton(AF_INET, str, &v4) == 1) {
		if (v4mapped) {
			set_any(a, AF_INET6, port);
			sin6->sin6_addr.s6_addr[10] = 0xff;
			sin6->sin6_addr.s6_addr[11] = 0xff;
			memcpy(&sin6->sin6_addr.s6_addr[12], &v4, 4);
		} else {
			set_any(a, AF_INET, port);
			sin->sin_addr = v4;
		}
		return true;
	}
	if (strlen(str) >= sizeof(buf))
		return false;
	strcpy(buf, str);
	scope = strchr(buf, '%');
	if (scope)
		*scope++ = '\0';
	set_any(a, AF_INET6, port);
	if (inet_pton(AF_INET6, buf, &sin6->sin6_addr) != 1)
		return false;
	if (v4mapped && !IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr))
		return false;
	if (scope) {
		sin6->sin6_scope_id = if_nametoindex(scope);
		if (!sin6->sin6_scope_id)
			return false;
	}
	return true;
}

static void get_addr(const char *str, unsigned int port, bool v4mapped,
		     struct addr *a, const char *opt)
{
	if (!parse_addr(str, port, v4mapped, a))
		usage_err("%s: bad address '%s'%s", opt, str,
			  v4mapped ? " (--v4mapped wants IPv4)" : "");
}

/* "127.0.0.1" or "[::1]", for messages and the -v line. */
static const char *addr_str(const struct addr *a, char *buf, size_t size)
{
	char tmp[INET6_ADDRSTRLEN];
	const void *p;

	if (a->ss.ss_family == AF_INET) {
		p = &((const struct sockaddr_in *)&a->ss)->sin_addr;
		inet_ntop(AF_INET, p, buf, size);
	} else {
		p = &((const struct sockaddr_in6 *)&a->ss)->sin6_addr;
		inet_ntop(AF_INET6, p, tmp, sizeof(tmp));
		snprintf(buf, size, "[%s]", tmp);
	}
	return buf;
}

/*
 * The address as /proc/net/tcp{,6} prints it: each 32-bit word of the
 * network-order address is printed as a host-order number ("%08X"), so
 * doing the same here gives the same text on either endianness.
 */
static void proc_hex(const struct addr *a, char out[33])
{
	uint32_t w[4];

	if (a->ss.ss_family == AF_INET) {
		memcpy(w, &((const struct sockaddr_in *)&a->ss)->sin_addr, 4);
		sprintf(out, "%08X", w[0]);
	} else {
		memcpy(w, &((const struct sockaddr_in6 *)&a->ss)->sin6_addr,
		       16);
		sprintf(out, "%08X%08X%08X%08X", w[0], w[1], w[2], w[3]);
	}
}

static void bit_set(unsigned char *map, unsigned int port)
{
	map[port / 8] |= 1 << (port % 8);
}

static bool bit_test(const unsigned char *map, unsigned int port)
{
	return map[port / 8] & (1 << (port % 8));
}

/* Which /proc/net/tcp{,6} entries are ours. */
struct match {
	char srv_hex[33];	/* server address, as proc_hex() */
	unsigned int srv_port;
	bool srv_side;		/* entries are the server's end */
};

/* One line of /proc/net/tcp{,6}. */
struct entry {
	char la[40], ra[40];	/* addresses, as proc_hex() */
	unsigned int lp, rp;	/* ports */
	unsigned int st;	/* state */
};

/* NULL for tcp6 when IPv6 is off: nothing of ours can be there. */
static FILE *open_proc(const char *path)
{
	FILE *f = fopen(path, "re");

	if (!f && errno != ENOENT)
		die("%s: %s", path, strerror(errno));
	return f;
}

/* False for the header line. */
static bool next_entry(FILE *f, struct entry *e)
{
	char line[512];

	while (fgets(line, sizeof(line), f))
		if (sscanf(line, " %*u: %39[0-9A-Fa-f]:%x %39[0-9A-Fa-f]:%x %x",
			   e->la, &e->lp, e->ra, &e->rp, &e->st) == 5 &&
		    e->lp < 65536 && e->rp < 65536)
			return true;
	return false;
}

static unsigned int count_file(const char *path, const struct match *m,
			       unsigned int state)
{
	FILE *f = open_proc(path);
	unsigned int n = 0;
	struct entry e;

	if (!f)
		return 0;
	while (next_entry(f, &e)) {
		if (e.st != state)
			continue;
		if (m->srv_side ?
		    e.lp == m->srv_port && bit_test(our_ports, e.rp) &&
		    !strcasecmp(e.la, m->srv_hex) :
		    e.rp == m->srv_port && bit_test(our_ports, e.lp) &&
		    !strcasecmp(e.ra, m->srv_hex))
			n++;
	}
	fclose(f);
	return n;
}

/*
 * -c server: an earlier run may have left TIME_WAITs on the listener's
 * port, and a SYN from one of their peer ports would take one over.
 * Note those ports (whatever the address: caution costs only a port).
 */
static void note_old_peers(unsigned int port)
{
	static const char * const paths[] = {
		"/proc/net/tcp", "/proc/net/tcp6"
	};
	struct entry e;
	unsigned int i;
	FILE *f;

	for (i = 0; i < 2; i++) {
		f = open_proc(paths[i]);
		if (!f)
			continue;
		while (next_entry(f, &e))
			if (e.lp == port)
				bit_set(old_ports, e.rp);
		fclose(f);
	}
}

static unsigned int count_state(const struct match *m, unsigned int state)
{
	return count_file("/proc/net/tcp", m, state) +
	       count_file("/proc/net/tcp6", m, state);
}

/*
 * A closed socket cannot be asked for its state, so the only place to
 * see that a close has really ended in TIME_WAIT (or FIN_WAIT2) is the
 * kernel's socket list.  Re-read it until it agrees, backing off a bit.
 */
static void wait_state(const struct match *m, unsigned int state,
		       unsigned int want)
{
	const char *name = state == ST_TIME_WAIT ? "TIME_WAIT" : "FIN_WAIT2";
	long long end = now_ms() + DEADLINE_MS;
	unsigned int got, pause = 1;

	for (;;) {
		got = count_state(m, state);
		if (got >= want)
			return;
		if (now_ms() >= end)
			break;
		poll(NULL, 0, pause);
		if (pause < 64)
			pause *= 2;
	}
	die("only %u of %u connections reached %s within %d s (see %s)",
	    got, want, name, DEADLINE_MS / 1000,
	    state == ST_TIME_WAIT ?
	    "TWRecycled/TCPTimeWaitOverflow in /proc/net/netstat" :
	    "net.ipv4.tcp_max_tw_buckets, tcp_fin_timeout");
}

static void raise_nofile(rlim_t want, bool must)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		die("getrlimit: %s", strerror(errno));
	if (rl.rlim_cur >= want)
		return;
	if (rl.rlim_max < want) {
		struct rlimit up = { want, want };

		/* Root may raise the hard limit, up to fs.nr_open. */
		if (!setrlimit(RLIMIT_NOFILE, &up))
			return;
	}
	rl.rlim_cur = rl.rlim_max < want ? rl.rlim_max : want;
	if (setrlimit(RLIMIT_NOFILE, &rl))
		die("setrlimit: %s", strerror(errno));
	if (must && rl.rlim_cur < want)
		die("need %lu open files, RLIMIT_NOFILE allows %lu",
		    (unsigned long)want, (unsigned long)rl.rlim_cur);
}

static void on_signal(int sig)
{
	got_signal = sig;
}

/*
 * Block SIGTERM and SIGINT except inside ppoll(), so that one arriving
 * between a check of got_signal and the wait cannot be lost.  Handlers
 * are installed even if the caller ignored them, as shells do for
 * background jobs.
 */
static void catch_signals(sigset_t *wait_mask)
{
	struct sigaction sa;
	sigset_t set;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, wait_mask);
	sigdelset(wait_mask, SIGTERM);
	sigdelset(wait_mask, SIGINT);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
}

/*
 * Loopback queues a packet to the backlog of the CPU that sends it, so
 * one end's segments can overtake each other when its process moves
 * between CPUs while softirqs lag behind, as they do under this load.
 * Seen with "listen": a pure ACK arrived after that end's FIN, the
 * peer's fresh TIME_WAIT answered it with an ACK, the listener (the
 * connection being gone) with a RST, and a RST ends a TIME_WAIT (RFC
 * 1337), so a few percent of them vanished.  On one CPU they cannot
 * overtake; the lowest allowed one puts every tw_gen on the same CPU.
 */
static void pin_cpu(void)
{
	cpu_set_t set;
	int cpu;

	if (sched_getaffinity(0, sizeof(set), &set))
		return;
	for (cpu = 0; cpu < CPU_SETSIZE && !CPU_ISSET(cpu, &set); cpu++)
		;
	if (cpu == CPU_SETSIZE)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	/* Best effort: the tests still run, only less reliably. */
	sched_setaffinity(0, sizeof(set), &set);
}

static int tcp_socket(int family)
{
	int fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
			IPPROTO_TCP);

	if (fd < 0)
		die("socket: %s", strerror(errno));
	return fd;
}

static void set_opt(int fd, int level, int name, int val, const char *what)
{
	if (setsockopt(fd, level, name, &val, sizeof(val)))
		die("setsockopt %s: %s", what, strerror(errno));
}

/* Listen on a (or on [::] for v4mapped); a gets the port picked. */
static int open_listener(struct addr *a, bool v4mapped)
{
	struct addr b = *a;
	char buf[INET6_ADDRSTRLEN + 2];
	int fd;

	if (v4mapped)
		set_any(&b, AF_INET6, addr_port(a));
	fd = tcp_socket(b.ss.ss_family);
	/* Our own earlier -c server TIME_WAITs must not block the port. */
	set_opt(fd, SOL_SOCKET, SO_REUSEADDR, 1, "SO_REUSEADDR");
	if (v4mapped)
		set_opt(fd, IPPROTO_IPV6, IPV6_V6ONLY, 0, "IPV6_V6ONLY");
	if (bind(fd, (struct sockaddr *)&b.ss, b.len))
		die("bind %s:%u: %s", addr_str(&b, buf, sizeof(buf)),
		    addr_port(&b), strerror(errno));
	if (listen(fd, BACKLOG))
		die("listen: %s", strerror(errno));
	b.len = sizeof(b.ss);
	if (getsockname(fd, (struct sockaddr *)&b.ss, &b.len))
		die("getsockname: %s", strerror(errno));
	set_port(a, addr_port(&b));
	return fd;
}

/*
 * Drain what the peer sent; true once it has closed.  A reset is an
 * error for pairs (the TIME_WAIT it was to leave is gone) but not for
 * listen, which serves whoever comes.
 */
static bool read_eof(int fd, bool strict)
{
	char buf[512];
	ssize_t n;

	for (;;) {
		n = recv(fd, buf, sizeof(buf), 0);
		if (n == 0)
			return true;
		if (n > 0)
			continue;
		if (errno == EAGAIN || errno == EINTR)
			return false;
		if (strict)
			die("recv: %s", strerror(errno));
		return true;
	}
}

/* Room for cap connections, and a pollfd each plus the listener's. */
static void grow(struct run *r, unsigned int cap)
{
	r->cap = cap;
	r->c = realloc(r->c, cap * sizeof(*r->c));
	r->pfd = realloc(r->pfd, (cap + 1) * sizeof(*r->pfd));
	if (!r->c || !r->pfd)
		die("out of memory");
}

static void add_conn(struct run *r, int fd, enum conn_kind kind)
{
	if (r->nc == r->cap)
		grow(r, r->cap * 2);
	r->c[r->nc].fd = fd;
	r->c[r->nc].kind = kind;
	r->nc++;
}

static void del_conn(struct run *r, unsigned int i)
{
	r->c[i] = r->c[--r->nc];
}

/*
 * With -c server the client closes last, so its port is free again at
 * once, and connect() comes back to it after a few thousand connections
 * (it skips a random few ports each time).  That SYN would end the
 * server's TIME_WAIT for the port, so give each client a port of the
 * ephemeral range that neither this run nor, on a fixed -p, an earlier
 * one has used.  Which port a client has does not matter otherwise: the
 * TIME_WAIT is on the listener's port.
 */
static void bind_next_port(struct run *r, int fd)
{
	char buf[INET6_ADDRSTRLEN + 2];

	for (; r->next_port <= r->port_hi; r->next_port++) {
		if (bit_test(our_ports, r->next_port) ||
		    bit_test(old_ports, r->next_port))
			continue;
		set_port(&r->bind, r->next_port);
		if (!bind(fd, (struct sockaddr *)&r->bind.ss, r->bind.len)) {
			r->next_port++;
			return;
		}
		if (errno != EADDRINUSE)
			break;
	}
	die("bind %s: %s (%s)", addr_str(&r->bind, buf, sizeof(buf)),
	    r->next_port > r->port_hi ? "no port left in ip_local_port_range" :
	    strerror(errno), errno_name(r->next_port > r->port_hi ?
					EADDRNOTAVAIL : errno));
}

static void start_client(struct run *r)
{
	char buf[INET6_ADDRSTRLEN + 2];
	int fd = tcp_socket(r->srv.ss.ss_family);

	/* net.ipv6.bindv6only=1 would make ::ffff: unreachable. */
	if (r->v4mapped)
		set_opt(fd, IPPROTO_IPV6, IPV6_V6ONLY, 0, "IPV6_V6ONLY");
	if (r->server_first)
		bind_next_port(r, fd);
	else if (r->have_bind && bind(fd, (struct sockaddr *)&r->bind.ss,
				      r->bind.len))
		die("bind %s: %s (%s)", addr_str(&r->bind, buf, sizeof(buf)),
		    strerror(errno), errno_name(errno));
	if (connect(fd, (struct sockaddr *)&r->srv.ss, r->srv.len) &&
	    errno != EINPROGRESS)
		die("connect %s:%u: %s (%s)",
		    addr_str(&r->srv, buf, sizeof(buf)), addr_port(&r->srv),
		    strerror(errno), errno_name(errno));
	add_conn(r, fd, C_CONNECTING);
	r->launched++;
}

static void client_connected(struct run *r, int fd)
{
	char buf[INET6_ADDRSTRLEN + 2];
	socklen_t len = sizeof(int);
	struct addr me;
	unsigned int port;
	int err;

	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len))
		die("getsockopt SO_ERROR: %s", strerror(errno));
	if (err)
		die("connect %s:%u: %s (%s)",
		    addr_str(&r->srv, buf, sizeof(buf)), addr_port(&r->srv),
		    strerror(err), errno_name(err));
	me.len = sizeof(me.ss);
	if (getsockname(fd, (struct sockaddr *)&me.ss, &me.len))
		die("getsockname: %s", strerror(errno));
	port = addr_port(&me);
	/*
	 * A port handed out twice means connect() took over one of our
	 * TIME_WAITs, as tcp_tw_reuse allows once it is a second old (on
	 * loopback by default).  The count would silently come out short,
	 * so stop here.  bind() never hands out such a port, hence -b.
	 */
	if (bit_test(our_ports, port))
		die("connect() reused local port %u, ending a TIME_WAIT of this run: use net.ipv4.tcp_tw_reuse=0 (now %ld), -b, or fewer than %u",
		    port, read_sysctl("/proc/sys/net/ipv4/tcp_tw_reuse"),
		    r->n);
	bit_set(our_ports, port);
	if (!r->have_first) {
		r->have_first = true;
		r->pmin = r->pmax = port;
		r->local = me;
		r->peer.len = sizeof(r->peer.ss);
		if (getpeername(fd, (struct sockaddr *)&r->peer.ss,
				&r->peer.len))
			die("getpeername: %s", strerror(errno));
	}
	if (port < r->pmin)
		r->pmin = port;
	if (port > r->pmax)
		r->pmax = port;
}

static void handle_conn(struct run *r, unsigned int i)
{
	struct conn *c = &r->c[i];

	switch (c->kind) {
	case C_CONNECTING:
		client_connected(r, c->fd);
		if (r->server_first) {
			c->kind = C_WAIT_EOF;
			return;
		}
		/* Client first: it goes FIN_WAIT1, FIN_WAIT2, TIME_WAIT. */
		close(c->fd);
		if (r->no_listen)
			r->finished++;
		break;
	case C_WAIT_EOF:
		if (!read_eof(c->fd, true))
			return;
		close(c->fd);
		r->finished++;
		break;
	case S_WAIT_EOF:
		/* Only after EOF, or both would close at once. */
		if (!read_eof(c->fd, true))
			return;
		if (r->fin_wait2)
			r->held[r->nheld++] = c->fd;
		else
			close(c->fd);
		r->finished++;
		break;
	}
	del_conn(r, i);
}

/* Where queue goes on in sequence space: write_seq or rcv_nxt. */
static uint32_t queue_seq(int fd, int queue)
{
	socklen_t len = sizeof(uint32_t);
	uint32_t seq;

	set_opt(fd, IPPROTO_TCP, TCP_REPAIR_QUEUE, queue, "TCP_REPAIR_QUEUE");
	if (getsockopt(fd, IPPROTO_TCP, TCP_QUEUE_SEQ, &seq, &len))
		die("getsockopt TCP_QUEUE_SEQ: %s", strerror(errno));
	return seq;
}

/*
 * --seq: a closed socket cannot be asked, so read an accepted one's
 * sequence numbers in repair mode just before it closes.  Nothing was
 * sent either way, so its FIN will carry write_seq and the client's
 * FIN rcv_nxt; the TIME_WAIT then expects and sends one past each.
 */
static void read_seq(struct run *r, int fd)
{
	struct tw_seq *s = &r->seqs[r->nseq];
	int on = TCP_REPAIR_ON;

	if (r->nseq == r->n)
		die("--seq: more than %u connections accepted", r->n);
	if (setsockopt(fd, IPPROTO_TCP, TCP_REPAIR, &on, sizeof(on)))
		die("--seq: setsockopt TCP_REPAIR: %s%s", strerror(errno),
		    errno == EPERM ? " (needs CAP_NET_ADMIN)" : "");
	s->snd_nxt = queue_seq(fd, TCP_SEND_QUEUE) + 1;
	s->rcv_nxt = queue_seq(fd, TCP_RECV_QUEUE) + 1;
	/*
	 * TCP_REPAIR_OFF would send a window probe, one more segment
	 * (and TCPWinProbe) than a plain -c server run has.
	 */
	set_opt(fd, IPPROTO_TCP, TCP_REPAIR, TCP_REPAIR_OFF_NO_WP,
		"TCP_REPAIR");
	/*
	 * Repair mode cleared the SO_REUSEADDR inherited from the
	 * listener, and the TIME_WAIT inherits it in turn: without it the
	 * next listener on this port could not bind.
	 */
	set_opt(fd, SOL_SOCKET, SO_REUSEADDR, 1, "SO_REUSEADDR");
	s->local.len = sizeof(s->local.ss);
	if (getsockname(fd, (struct sockaddr *)&s->local.ss, &s->local.len))
		die("getsockname: %s", strerror(errno));
	s->remote.len = sizeof(s->remote.ss);
	if (getpeername(fd, (struct sockaddr *)&s->remote.ss,
			&s->remote.len))
		die("getpeername: %s", strerror(errno));
	r->nseq++;
}

static void accept_all(struct run *r, bool close_first, bool strict)
{
	int fd;

	for (;;) {
		fd = accept4(r->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return;
			if (errno == ECONNABORTED && !strict)
				continue;
			die("accept: %s", strerror(errno));
		}
		r->accepted++;
		/* Server first: this end goes on to TIME_WAIT. */
		if (close_first) {
			if (r->seq)
				read_seq(r, fd);
			close(fd);
		} else {
			add_conn(r, fd, S_WAIT_EOF);
		}
	}
}

/* Make all connections, at most INFLIGHT unfinished at a time. */
static void pairs_loop(struct run *r)
{
	long long idle_end = now_ms() + DEADLINE_MS;
	unsigned int i, np, base;
	int ret, tmo;

	while (r->finished < r->n) {
		while (r->launched < r->n &&
		       r->launched - r->finished < INFLIGHT)
			start_client(r);

		np = 0;
		if (r->lfd >= 0) {
			r->pfd[np].fd = r->lfd;
			r->pfd[np++].events = POLLIN;
		}
		base = np;
		for (i = 0; i < r->nc; i++) {
			r->pfd[np].fd = r->c[i].fd;
			r->pfd[np++].events = r->c[i].kind == C_CONNECTING ?
					      POLLOUT : POLLIN;
		}

		tmo = ms_left(idle_end);
		if (!tmo)
			die("stalled for %d s: %u started, %u accepted, %u of %u done",
			    DEADLINE_MS / 1000, r->launched, r->accepted,
			    r->finished, r->n);
		ret = poll(r->pfd, np, tmo);
		if (ret < 0 && errno != EINTR)
			die("poll: %s", strerror(errno));
		if (ret <= 0)
			continue;
		idle_end = now_ms() + DEADLINE_MS;

		/*
		 * Backwards, because del_conn() moves the last entry into
		 * the hole and that one has been looked at already.
		 */
		for (i = r->nc; i-- > 0; )
			if (r->pfd[base + i].revents)
				handle_conn(r, i);
		/* After the loop above: accepting appends to r->c. */
		if (base && r->pfd[0].revents)
			accept_all(r, r->server_first, true);
	}
}

/* Wait SECONDS, or for EOF on stdin when 0; SIGTERM/SIGINT cut it short. */
static void hold(unsigned int secs)
{
	long long end = now_ms() + secs * 1000LL;
	struct pollfd p = { .fd = 0, .events = POLLIN };
	struct timespec ts, *tsp = NULL;
	sigset_t wait_mask;
	char buf[256];
	long long left;
	ssize_t n;
	int ret;

	catch_signals(&wait_mask);
	while (!got_signal) {
		if (secs) {
			left = end - now_ms();
			if (left <= 0)
				return;
			ts.tv_sec = left / 1000;
			ts.tv_nsec = left % 1000 * 1000000;
			tsp = &ts;
		}
		ret = ppoll(secs ? NULL : &p, secs ? 0 : 1, tsp, &wait_mask);
		if (ret < 0) {
			if (errno == EINTR)
				continue;
			die("ppoll: %s", strerror(errno));
		}
		if (secs || !ret)
			continue;
		if (p.revents & POLLNVAL)
			return;
		n = read(0, buf, sizeof(buf));
		if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN))
			return;
	}
}

static void print_made(const struct run *r)
{
	char lbuf[INET6_ADDRSTRLEN + 2], sbuf[INET6_ADDRSTRLEN + 2];

	printf("made %u local=%s:%u-%u server=%s:%u\n", r->n,
	       addr_str(&r->local, lbuf, sizeof(lbuf)), r->pmin, r->pmax,
	       addr_str(&r->peer, sbuf, sizeof(sbuf)), addr_port(&r->peer));
	fflush(stdout);
}

static void print_seqs(const struct run *r)
{
	char lbuf[INET6_ADDRSTRLEN + 2], rbuf[INET6_ADDRSTRLEN + 2];
	const struct tw_seq *s;

	for (s = r->seqs; s < r->seqs + r->nseq; s++)
		printf("seq local=%s:%u remote=%s:%u rcv_nxt=%u snd_nxt=%u\n",
		       addr_str(&s->local, lbuf, sizeof(lbuf)),
		       addr_port(&s->local),
		       addr_str(&s->remote, rbuf, sizeof(rbuf)),
		       addr_port(&s->remote), s->rcv_nxt, s->snd_nxt);
	fflush(stdout);
}

static int cmd_pairs(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "count",	required_argument, NULL, 'n' },
		{ "addr",	required_argument, NULL, 'a' },
		{ "port",	required_argument, NULL, 'p' },
		{ "closer",	required_argument, NULL, 'c' },
		{ "bind",	required_argument, NULL, 'b' },
		{ "fin-wait2",	required_argument, NULL, 'F' },
		{ "v4mapped",	no_argument,	   NULL, 'M' },
		{ "no-listen",	no_argument,	   NULL, 'N' },
		{ "seq",	no_argument,	   NULL, 'S' },
		{ "verbose",	no_argument,	   NULL, 'v' },
		{ "help",	no_argument,	   NULL, 'h' },
		{ }
	};
	const char *addr = "127.0.0.1", *bind_addr = NULL;
	unsigned int port = 0, fw2_secs = 0;
	bool v4mapped = false, verbose = false;
	struct run r = { .n = 1, .lfd = -1 };
	struct match m;
	long lim;
	int opt;

	while ((opt = getopt_long(argc, argv, ":n:a:p:c:b:vh", opts,
				  NULL)) != -1) {
		switch (opt) {
		case 'n':
			r.n = parse_num(optarg, 65535, "count");
			if (!r.n)
				usage_err("-n must be at least 1");
			break;
		case 'a':
			addr = optarg;
			break;
		case 'p':
			port = parse_num(optarg, 65535, "port");
			break;
		case 'c':
			if (!strcmp(optarg, "server"))
				r.server_first = true;
			else if (strcmp(optarg, "client"))
				usage_err("-c takes client or server");
			break;
		case 'b':
			bind_addr = optarg;
			break;
		case 'F':
			r.fin_wait2 = true;
			fw2_secs = parse_num(optarg, INT_MAX / 1000, "seconds");
			break;
		case 'M':
			v4mapped = true;
			break;
		case 'N':
			r.no_listen = true;
			break;
		case 'S':
			r.seq = true;
			break;
		case 'v':
			verbose = true;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		default:
			bad_option("pairs", argv, opt);
		}
	}
	if (optind != argc)
		usage_err("unexpected '%s'", argv[optind]);
	if (r.no_listen && (r.server_first || r.fin_wait2))
		usage_err("--no-listen: no -c server or --fin-wait2");
	if (r.no_listen && !port)
		usage_err("--no-listen needs -p PORT");
	if (r.fin_wait2 && r.server_first)
		usage_err("--fin-wait2: the client closes first, no -c server");
	/* Only then is the TIME_WAIT on a socket that tw_gen holds. */
	if (r.seq && !r.server_first)
		usage_err("--seq needs -c server");

	get_addr(addr, port, v4mapped, &r.srv, "-a");
	r.v4mapped = v4mapped;
	if (bind_addr) {
		get_addr(bind_addr, 0, v4mapped, &r.bind, "-b");
		if (r.bind.ss.ss_family != r.srv.ss.ss_family)
			usage_err("-b and -a are of different families");
		r.have_bind = true;
	} else {
		set_any(&r.bind, r.srv.ss.ss_family, 0);
	}
	if (r.server_first)
		read_port_range(&r);

	/* FIN_WAIT2 minisockets count against the same limit. */
	lim = read_sysctl("/proc/sys/net/ipv4/tcp_max_tw_buckets");
	if (lim >= 0 && r.n > lim)
		die("-n %u exceeds net.ipv4.tcp_max_tw_buckets=%ld", r.n, lim);
	lim = read_sysctl("/proc/sys/net/ipv4/tcp_fin_timeout");
	if (r.fin_wait2 && fw2_secs && lim >= 0 && fw2_secs >= lim)
		die("--fin-wait2 %u: FIN_WAIT2 minisockets die after net.ipv4.tcp_fin_timeout=%ld s",
		    fw2_secs, lim);

	raise_nofile(2 * INFLIGHT + 64 + (r.fin_wait2 ? r.n : 0), true);
	if (r.fin_wait2) {
		r.held = calloc(r.n, sizeof(*r.held));
		if (!r.held)
			die("out of memory");
	}
	if (r.seq) {
		r.seqs = calloc(r.n, sizeof(*r.seqs));
		if (!r.seqs)
			die("out of memory");
	}
	grow(&r, 2 * INFLIGHT + 16);

	if (!r.no_listen)
		r.lfd = open_listener(&r.srv, v4mapped);
	if (r.server_first)
		note_old_peers(addr_port(&r.srv));
	pairs_loop(&r);
	/* Match what the kernel calls the server: getpeername() says. */
	proc_hex(&r.peer, m.srv_hex);
	m.srv_port = addr_port(&r.peer);
	m.srv_side = r.server_first;

	if (r.fin_wait2) {
		wait_state(&m, ST_FIN_WAIT2, r.n);
		if (r.lfd >= 0)
			close(r.lfd);
		if (verbose)
			print_made(&r);
		hold(fw2_secs);
		/* Their FIN moves the minisockets on to TIME_WAIT. */
		while (r.nheld)
			close(r.held[--r.nheld]);
		wait_state(&m, ST_TIME_WAIT, r.n);
		return 0;
	}
	/*
	 * The listener stays open until every minisocket is in TIME_WAIT:
	 * on a slow kernel the last FINs are still in flight, and a
	 * server-side TIME_WAIT born after its listener closed is not the
	 * server's any more (its role is taken at birth).
	 */
	wait_state(&m, ST_TIME_WAIT, r.n);
	if (r.lfd >= 0)
		close(r.lfd);
	if (verbose)
		print_made(&r);
	if (r.seq)
		print_seqs(&r);
	return 0;
}

/* One connect() of @p->fd to @srv, waited for: 0 or its errno. */
static int try_connect(struct pollfd *p, const struct addr *srv)
{
	long long end;
	socklen_t len;
	int ret, err;

	if (!connect(p->fd, (const struct sockaddr *)&srv->ss, srv->len))
		return 0;
	if (errno != EINPROGRESS)
		return errno;
	end = now_ms() + DEADLINE_MS;
	while ((ret = poll(p, 1, ms_left(end))) <= 0) {
		if (ret < 0 && errno != EINTR)
			die("poll: %s", strerror(errno));
		if (now_ms() >= end)
			return ETIMEDOUT;
	}
	len = sizeof(err);
	if (getsockopt(p->fd, SOL_SOCKET, SO_ERROR, &err, &len))
		die("getsockopt SO_ERROR: %s", strerror(errno));
	return err;
}

static int cmd_listen(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "addr",	 required_argument, NULL, 'a' },
		{ "port",	 required_argument, NULL, 'p' },
		{ "v4mapped",	 no_argument,	    NULL, 'M' },
		{ "close-first", no_argument,	    NULL, 'C' },
		{ "hold",	 required_argument, NULL, 'H' },
		{ "help",	 no_argument,	    NULL, 'h' },
		{ }
	};
	const char *addr = "127.0.0.1";
	bool v4mapped = false, close_first = false, have_port = false;
	struct pollfd p = { .events = POLLOUT };
	struct run r = { .lfd = -1 };
	unsigned int port = 0, hold = 0, i;
	sigset_t wait_mask;
	int opt, ret, err;

	while ((opt = getopt_long(argc, argv, ":a:p:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'a':
			addr = optarg;
			break;
		case 'p':
			port = parse_num(optarg, 65535, "port");
			have_port = true;
			break;
		case 'M':
			v4mapped = true;
			break;
		case 'C':
			close_first = true;
			break;
		case 'H':
			hold = parse_num(optarg, 60000, "hold");
			break;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		default:
			bad_option("listen", argv, opt);
		}
	}
	if (optind != argc)
		usage_err("unexpected '%s'", argv[optind]);
	if (!have_port)
		usage_err("listen needs -p PORT");
	if (hold && close_first)
		usage_err("--hold or --close-first, not both");
	get_addr(addr, port, v4mapped, &r.srv, "-a");

	/* Best effort: only connections still open hold a descriptor. */
	raise_nofile(65536, false);
	if (hold)
		raise_nofile(2 * hold + 64, true);
	grow(&r, 64 + hold);
	r.lfd = open_listener(&r.srv, v4mapped);
	catch_signals(&wait_mask);
	/* Our own clients, left open: each holds a local port. */
	for (i = 0; i < hold; i++) {
		p.fd = tcp_socket(r.srv.ss.ss_family);
		if (v4mapped)
			set_opt(p.fd, IPPROTO_IPV6, IPV6_V6ONLY, 0,
				"IPV6_V6ONLY");
		err = try_connect(&p, &r.srv);
		if (err)
			die("--hold: connection %u of %u: %s", i + 1, hold,
			    errno_name(err));
		accept_all(&r, false, false);
	}
	if (hold)
		printf("held %u\n", hold);
	printf("listening\n");
	fflush(stdout);

	while (!got_signal) {
		r.pfd[0].fd = r.lfd;
		r.pfd[0].events = POLLIN;
		for (i = 0; i < r.nc; i++) {
			r.pfd[i + 1].fd = r.c[i].fd;
			r.pfd[i + 1].events = POLLIN;
		}
		ret = ppoll(r.pfd, r.nc + 1, NULL, &wait_mask);
		if (ret < 0) {
			if (errno == EINTR)
				continue;
			die("ppoll: %s", strerror(errno));
		}
		for (i = r.nc; i-- > 0; ) {
			if (!r.pfd[i + 1].revents ||
			    !read_eof(r.c[i].fd, false))
				continue;
			close(r.c[i].fd);
			del_conn(&r, i);
		}
		if (r.pfd[0].revents)
			accept_all(&r, close_first, false);
	}
	return 0;
}

/* For connect --close-last: the peer must close first. */
static void wait_eof(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	long long end = now_ms() + DEADLINE_MS;

	for (;;) {
		if (poll(&p, 1, ms_left(end)) < 0 && errno != EINTR)
			die("poll: %s", strerror(errno));
		if (p.revents && read_eof(fd, true))
			return;
		if (now_ms() >= end)
			die("the peer did not close within %d s (listen --close-first?)",
			    DEADLINE_MS / 1000);
	}
}

/* connect's verdict on stdout, as the tests read it. */
static void fail_errno(int err)
{
	printf("%s\n", errno_name(err));
	exit(1);
}

/*
 * -n TRIES: as many connect()s, each from a new socket closed after it;
 * a line "NAME COUNT" per outcome (ok or the errno's name), in the order
 * they first came.
 */
static int connect_tries(const struct addr *srv, bool v4mapped,
			 unsigned int tries)
{
	int errs[16], counts[16] = { 0 };
	struct pollfd p = { .events = POLLOUT };
	unsigned int i, k, n = 0;
	bool all_ok = true;
	int err;

	for (i = 0; i < tries; i++) {
		p.fd = tcp_socket(srv->ss.ss_family);
		if (v4mapped)
			set_opt(p.fd, IPPROTO_IPV6, IPV6_V6ONLY, 0,
				"IPV6_V6ONLY");
		err = try_connect(&p, srv);
		close(p.fd);
		all_ok = all_ok && !err;
		for (k = 0; k < n && errs[k] != err; k++)
			;
		if (k == n && n < sizeof(errs) / sizeof(errs[0]))
			errs[n++] = err;
		if (k < n)
			counts[k]++;
	}
	for (k = 0; k < n; k++)
		printf("%s %d\n", errs[k] ? errno_name(errs[k]) : "ok",
		       counts[k]);
	return all_ok ? 0 : 1;
}

static int cmd_connect(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "addr",	required_argument, NULL, 'a' },
		{ "port",	required_argument, NULL, 'p' },
		{ "bind",	required_argument, NULL, 'b' },
		{ "lport",	required_argument, NULL, 'L' },
		{ "close",	no_argument,	   NULL, 'C' },
		{ "close-last",	no_argument,	   NULL, 'l' },
		{ "v4mapped",	no_argument,	   NULL, 'M' },
		{ "tries",	required_argument, NULL, 'n' },
		{ "help",	no_argument,	   NULL, 'h' },
		{ }
	};
	const char *addr = NULL, *bind_addr = NULL;
	bool v4mapped = false, close_first = false, close_last = false;
	unsigned int port = 0, lport = 0, tries = 0;
	struct pollfd p = { .events = POLLOUT };
	struct addr srv, me, b;
	struct match m;
	int opt, err;

	while ((opt = getopt_long(argc, argv, ":a:p:b:n:h", opts, NULL)) !=
	       -1) {
		switch (opt) {
		case 'a':
			addr = optarg;
			break;
		case 'p':
			port = parse_num(optarg, 65535, "port");
			break;
		case 'b':
			bind_addr = optarg;
			break;
		case 'L':
			lport = parse_num(optarg, 65535, "local port");
			break;
		case 'C':
			close_first = true;
			break;
		case 'l':
			close_last = true;
			break;
		case 'M':
			v4mapped = true;
			break;
		case 'n':
			tries = parse_num(optarg, 100000, "tries");
			break;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		default:
			bad_option("connect", argv, opt);
		}
	}
	if (optind != argc)
		usage_err("unexpected '%s'", argv[optind]);
	if (!addr || !port)
		usage_err("connect needs -a ADDR and -p PORT");
	if (close_first && close_last)
		usage_err("--close or --close-last, not both");
	if (tries && (close_first || close_last || bind_addr || lport))
		usage_err("-n goes without -b, --lport and --close*");
	get_addr(addr, port, v4mapped, &srv, "-a");
	if (tries)
		return connect_tries(&srv, v4mapped, tries);

	p.fd = tcp_socket(srv.ss.ss_family);
	if (v4mapped)
		set_opt(p.fd, IPPROTO_IPV6, IPV6_V6ONLY, 0, "IPV6_V6ONLY");
	if (bind_addr)
		get_addr(bind_addr, lport, v4mapped, &b, "-b");
	else
		set_any(&b, srv.ss.ss_family, lport);
	if (b.ss.ss_family != srv.ss.ss_family)
		usage_err("-b and -a are of different families");
	if (bind_addr || lport) {
		/* Off already; said so because the test depends on it. */
		set_opt(p.fd, SOL_SOCKET, SO_REUSEADDR, 0, "SO_REUSEADDR");
		if (bind(p.fd, (struct sockaddr *)&b.ss, b.len))
			fail_errno(errno);
	}
	err = try_connect(&p, &srv);
	if (err)
		fail_errno(err);

	if (close_first || close_last) {
		me.len = sizeof(me.ss);
		if (getsockname(p.fd, (struct sockaddr *)&me.ss, &me.len))
			die("getsockname: %s", strerror(errno));
		bit_set(our_ports, addr_port(&me));
		srv.len = sizeof(srv.ss);
		if (getpeername(p.fd, (struct sockaddr *)&srv.ss, &srv.len))
			die("getpeername: %s", strerror(errno));
		proc_hex(&srv, m.srv_hex);
		m.srv_port = addr_port(&srv);
		/* Whoever closes first is left in TIME_WAIT. */
		m.srv_side = close_last;
		if (close_last)
			wait_eof(p.fd);
		close(p.fd);
		wait_state(&m, ST_TIME_WAIT, 1);
	}
	printf("ok\n");
	return 0;
}

/*
 * "a.b.c.d:port" or "[v6addr]:port" for seg.  A v4-mapped address
 * becomes plain IPv4: such a connection's segments travel as IPv4.
 */
static void get_addr_port(const char *str, struct addr *a, const char *opt)
{
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&a->ss;
	char host[INET6_ADDRSTRLEN + IF_NAMESIZE + 3];
	const char *colon = strrchr(str, ':');
	size_t len = colon ? colon - str : 0;
	bool v6 = str[0] == '[';	/* brackets if and only if IPv6 */
	struct in_addr v4;
	unsigned int port;

	if (!colon || len >= sizeof(host))
		goto bad;
	memcpy(host, str, len);
	host[len] = '\0';
	if (v6) {
		if (len < 2 || host[len - 1] != ']')
			goto bad;
		host[len - 1] = '\0';
	}
	port = parse_num(colon + 1, 65535, "port");
	if (!parse_addr(host + v6, port, false, a) ||
	    (a->ss.ss_family == AF_INET6) != v6)
		goto bad;
	if (v6 && IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) {
		memcpy(&v4, &sin6->sin6_addr.s6_addr[12], 4);
		set_any(a, AF_INET, port);
		((struct sockaddr_in *)&a->ss)->sin_addr = v4;
	}
	return;
bad:
	usage_err("%s: want a.b.c.d:PORT or [ADDR]:PORT, not '%s'", opt, str);
}

/* The address itself, as the checksum's pseudo-header has it. */
static const void *ip_bytes(const struct addr *a, size_t *len)
{
	if (a->ss.ss_family == AF_INET) {
		*len = 4;
		return &((const struct sockaddr_in *)&a->ss)->sin_addr;
	}
	*len = 16;
	return &((const struct sockaddr_in6 *)&a->ss)->sin6_addr;
}

/* RFC 1071: the one's complement sum of big-endian 16-bit words. */
static uint32_t sum16(uint32_t sum, const void *data, size_t len)
{
	const uint8_t *p = data;

	for (; len > 1; p += 2, len -= 2)
		sum += p[0] << 8 | p[1];
	if (len)
		sum += p[0] << 8;
	return sum;
}

/*
 * Neither raw socket fills in the TCP checksum (IPv6 would with
 * IPV6_CHECKSUM), so do it here, the same way for both: the IPv4 and
 * IPv6 pseudo-headers sum alike, addresses, protocol and TCP length.
 */
static uint16_t tcp_csum(const struct addr *from, const struct addr *to,
			 const struct tcphdr *th)
{
	uint32_t sum = IPPROTO_TCP + sizeof(*th);
	const void *p;
	size_t len;

	p = ip_bytes(from, &len);
	sum = sum16(sum, p, len);
	p = ip_bytes(to, &len);
	sum = sum16(sum, p, len);
	sum = sum16(sum, th, sizeof(*th));
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons(~sum & 0xffff);
}

static int cmd_seg(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "from",	required_argument, NULL, 'f' },
		{ "to",		required_argument, NULL, 't' },
		{ "flags",	required_argument, NULL, 'F' },
		{ "seq",	required_argument, NULL, 's' },
		{ "ack",	required_argument, NULL, 'A' },
		{ "count",	required_argument, NULL, 'n' },
		{ "help",	no_argument,	   NULL, 'h' },
		{ }
	};
	static const char letters[] = "FSRPAU";	/* TH_FIN << index */
	const char *from_str = NULL, *to_str = NULL, *flags = NULL, *l;
	char buf[INET6_ADDRSTRLEN + 2];
	unsigned long count = 1, i;
	struct tcphdr th = { 0 };
	struct addr from, to;
	int opt, fd;

	while ((opt = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (opt) {
		case 'f':
			from_str = optarg;
			break;
		case 't':
			to_str = optarg;
			break;
		case 'F':
			flags = optarg;
			break;
		case 's':
			th.th_seq = htonl(parse_num(optarg, UINT32_MAX, "seq"));
			break;
		case 'A':
			th.th_ack = htonl(parse_num(optarg, UINT32_MAX, "ack"));
			break;
		case 'n':
			count = parse_num(optarg, 65535, "count");
			if (!count)
				usage_err("--count must be at least 1");
			break;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		default:
			bad_option("seg", argv, opt);
		}
	}
	if (optind != argc)
		usage_err("unexpected '%s'", argv[optind]);
	if (!from_str || !to_str || !flags)
		usage_err("seg needs --from, --to and --flags");
	get_addr_port(from_str, &from, "--from");
	get_addr_port(to_str, &to, "--to");
	if (from.ss.ss_family != to.ss.ss_family)
		usage_err("--from and --to are of different families");
	for (; *flags; flags++) {
		l = strchr(letters, *flags);
		if (!l || !*l)
			usage_err("--flags: '%c' is none of %s", *flags,
				  letters);
		th.th_flags |= TH_FIN << (l - letters);
	}
	th.th_sport = htons(addr_port(&from));
	th.th_dport = htons(addr_port(&to));
	th.th_off = sizeof(th) / 4;
	th.th_win = htons(65535);
	th.th_sum = tcp_csum(&from, &to, &th);

	fd = socket(to.ss.ss_family, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_TCP);
	if (fd < 0)
		die("raw socket: %s%s", strerror(errno),
		    errno == EPERM ? " (needs CAP_NET_RAW)" : "");
	/*
	 * The kernel writes the IP header, with the bound address as its
	 * source.  Raw sockets have no ports, and IPv6 would take one in
	 * sendto() for the protocol.
	 */
	set_port(&from, 0);
	set_port(&to, 0);
	if (bind(fd, (struct sockaddr *)&from.ss, from.len))
		die("bind %s: %s (the source must be a local address)",
		    addr_str(&from, buf, sizeof(buf)), strerror(errno));
	for (i = 0; i < count; i++)
		if (sendto(fd, &th, sizeof(th), 0, (struct sockaddr *)&to.ss,
			   to.len) != sizeof(th))
			die("sendto %s: %s", addr_str(&to, buf, sizeof(buf)),
			    strerror(errno));
	return 0;
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : "";

	/* getopt's own messages would name the subcommand, not tw_gen. */
	opterr = 0;
	/* Nothing is written to sockets, but be safe from a stray EPIPE. */
	signal(SIGPIPE, SIG_IGN);
	pin_cpu();
	if (!strcmp(cmd, "pairs"))
		return cmd_pairs(argc - 1, argv + 1);
	if (!strcmp(cmd, "listen"))
		return cmd_listen(argc - 1, argv + 1);
	if (!strcmp(cmd, "connect"))
		return cmd_connect(argc - 1, argv + 1);
	if (!strcmp(cmd, "seg"))
		return cmd_seg(argc - 1, argv + 1);
	if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") ||
	    !strcmp(cmd, "help")) {
		fputs(usage_text, stdout);
		return 0;
	}
	usage_err("%s", *cmd ? "unknown subcommand" : "missing subcommand");
}
