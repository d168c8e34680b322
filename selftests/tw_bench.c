// SPDX-License-Identifier: GPL-2.0
/*
 * tw_bench - fast workloads and a stopwatch, for the benchmark (bench/,
 * which runs them in the VM) and the stress tests.  Static, like tw_gen:
 * the initramfs has no libc.  Every time it prints is CLOCK_MONOTONIC
 * nanoseconds, which under QEMU's -icount counts the guest's
 * instructions, not the host's mood.
 *
 * USAGE
 *   tw_bench churn -n CYCLES -c client|server -a ADDR -p PORT [-j JOBS]
 *	Listen on ADDR:PORT and run CYCLES connect/accept/close cycles over
 *	it, one at a time, each leaving one TIME_WAIT on the side that
 *	closes first (-c).  With -j, JOBS processes do so at once, job i on
 *	CPU i (modulo the CPUs there are) and on port PORT+i, after a common
 *	start.  Prints "ns=N cycles=C": the time from the start until the
 *	last job ended, and the cycles made in all.
 *
 *   tw_bench fill -n COUNT -a ADDR -p PORT [-d PER_DEST]
 *	Make COUNT client-side TIME_WAITs as fast as it can: listen on
 *	0.0.0.0:PORT and connect to ADDR, ADDR+1, ... (PER_DEST connections
 *	to each, default 30000).  connect() tries the even ports of
 *	ip_local_port_range before the odd ones, each search starting where
 *	the last one ended: past half the range each connect() would scan
 *	every even port first.  Prints "ns=N made=COUNT next=ADDR" (the
 *	address to start the next fill at).
 *
 *   tw_bench steady -c client|server -a ADDR -p PORT -w WARM -t SECONDS
 *		    [-d PER_DEST]
 *	Churn as churn does with one job, but by the clock: WARM seconds
 *	unmeasured, then SECONDS measured, with no pause between them, so
 *	that with WARM above the 60 s of TIME_WAIT the minisockets born
 *	before the window die inside it about as fast as new ones are born
 *	(steady state).  The cycles go to ADDR, ADDR+1, ... (PER_DEST
 *	cycles each, default 1000) from a listener on 0.0.0.0:PORT: few
 *	TIME_WAITs per destination, so that connect() finds a port at once
 *	however many there are in all, and no four-tuple repeats (a client
 *	port used again towards a server-side TIME_WAIT would end it
 *	early).  Reads /proc/net/sockstat's tw as the window starts and as
 *	it ends.  Prints "ns=N cycles=C warm_ns=N warm_cycles=C tw0=A
 *	tw1=B next=ADDR": the window's time and cycles, the warm-up's, the
 *	TIME_WAITs at both ends of the window, and the address to start the
 *	next run at.
 *
 *   tw_bench peers -n COUNT -a ADDR -p PORT -s FROM [-k PER_PEER]
 *		    [-j JOBS]
 *	Make server-side TIME_WAITs from COUNT peer addresses: listen on
 *	ADDR:PORT and connect to it from each of FROM, FROM+1, ... (the
 *	client bound to that address, port 0); the server closes first.
 *	tw_stats gathers server-side minisockets per peer address, so that
 *	makes COUNT destinations (any address of 127/8 is loopback).  With
 *	-k, PER_PEER connections (1 to 1000) from each address, the m-th
 *	from port 20000 + m: bind() to port 0 could pick one port twice for
 *	an address, and the second SYN would end the TIME_WAIT of the
 *	first.  With -j, JOBS processes share the addresses as churn's jobs
 *	do: job i on CPU i and port PORT+i.  Prints "ns=N made=M
 *	next=ADDR" (M = COUNT * PER_PEER; the address after the last one
 *	used).
 *
 *   tw_bench getppid -t SECONDS [-j JOBS]
 *	Call getppid() in a loop for SECONDS in JOBS processes (default 1),
 *	job i on CPU i (modulo the CPUs there are): the load that makes
 *	selftests/hog's tw_hog.ko, a kprobe on getppid that spins, hold
 *	every CPU inside a kprobe handler.  SIGTERM or SIGINT ends it
 *	early, as does the end of the parent for a job.  Prints "ns=N
 *	calls=C": the time from the start until the last job ended, and
 *	the calls made in all.
 *
 *   tw_bench refused -n COUNT -a ADDR -p PORT
 *	COUNT connect()s, one at a time, to ADDR:PORT where nothing
 *	listens: each is refused by the peer's RST, leaves no TIME_WAIT, and
 *	passes the inet_sock_set_state tracepoint twice (CLOSE to SYN_SENT,
 *	SYN_SENT to CLOSE), as every connect() does at its start.  What a hook
 *	there costs a connect() shows alone, with no minisocket probe hit.
 *	Prints "ns=N connects=COUNT".
 *
 *   tw_bench time CMD [ARG...]
 *	Run CMD with its output to /dev/null; prints "ns=N" and exits with
 *	CMD's status.
 *
 * Exit: 0 on success, 1 on a failed system call (named on stderr),
 * 2 on usage errors.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_JOBS	64
#define PEER_PORT	20000	/* peers -k: the m-th from port 20000 + m */
#define NSEC		1000000000ull

static void die(const char *what)
{
	fprintf(stderr, "tw_bench: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void usage(void)
{
	fputs("usage: tw_bench churn -n CYCLES -c client|server -a ADDR "
	      "-p PORT [-j JOBS]\n"
	      "       tw_bench fill -n COUNT -a ADDR -p PORT [-d PER_DEST]\n"
	      "       tw_bench steady -c client|server -a ADDR -p PORT -w WARM "
	      "-t SECONDS [-d PER_DEST]\n"
	      "       tw_bench peers -n COUNT -a ADDR -p PORT -s FROM "
	      "[-k PER_PEER] [-j JOBS]\n"
	      "       tw_bench getppid -t SECONDS [-j JOBS]\n"
	      "       tw_bench refused -n COUNT -a ADDR -p PORT\n"
	      "       tw_bench time CMD [ARG...]\n", stderr);
	exit(2);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + ts.tv_nsec;
}

static unsigned long number(const char *s, unsigned long max)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || *s == '-' || v > max) {
		fprintf(stderr, "tw_bench: bad number '%s' (0 to %lu)\n",
			s, max);
		exit(2);
	}
	return v;
}

static struct in_addr address(const char *s)
{
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) != 1) {
		fprintf(stderr, "tw_bench: bad IPv4 address '%s'\n", s);
		exit(2);
	}
	return a;
}

static int listener(struct in_addr addr, unsigned int port)
{
	struct sockaddr_in sin = {
		.sin_family = AF_INET,
		.sin_addr = addr,
		.sin_port = htons(port),
	};
	int one = 1, fd;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		die("socket");
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)))
		die("SO_REUSEADDR");
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)))
		die("bind");
	if (listen(fd, 1024))
		die("listen");
	return fd;
}

/*
 * One connection that ends in TIME_WAIT on the side that closes first,
 * from @from when it is given.  The other side reads the FIN before it
 * closes, so that it never closes first by accident.
 */
static void cycle(int lfd, struct in_addr to, unsigned int port,
		  const struct sockaddr_in *from, int client_first)
{
	struct sockaddr_in sin = {
		.sin_family = AF_INET,
		.sin_addr = to,
		.sin_port = htons(port),
	};
	int c, s, first, second;
	char b;

	c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c < 0)
		die("socket");
	if (from && bind(c, (const struct sockaddr *)from, sizeof(*from)))
		die("bind (client)");
	if (connect(c, (struct sockaddr *)&sin, sizeof(sin)))
		die("connect");
	s = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (s < 0)
		die("accept");
	first = client_first ? c : s;
	second = client_first ? s : c;
	if (close(first))
		die("close");
	if (read(second, &b, 1) != 0)
		die("read (want EOF)");
	if (close(second))
		die("close");
}

static void pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	/* Best effort: one CPU just runs the jobs in turn. */
	sched_setaffinity(0, sizeof(set), &set);
}

/* What one job of churn or peers does; @i is its number. */
struct job {
	struct in_addr addr;		/* the listener's */
	unsigned int port;		/* job i listens on port + i */
	unsigned long count;		/* churn: cycles; peers: addresses */
	unsigned long jobs;
	int client_first;
	uint32_t from;			/* peers: the first client address */
	unsigned long per;		/* peers: connections per address */
	unsigned int sport;		/* peers: the first's port, or 0 */
	void (*run)(const struct job *j, unsigned long i, int lfd);
};

/*
 * Run @j's work in j->jobs processes at once, job i on CPU i (modulo the
 * CPUs there are) with a listener of its own on port + i, after a common
 * start.  Sets *@ns to the time from that start until the last job ended;
 * returns 0, or 1 if a job failed.
 */
static int run_jobs(const struct job *j, uint64_t *ns)
{
	int go[2], ready[2], st, lfd, ncpu;
	pid_t pids[MAX_JOBS];
	unsigned long i;
	uint64_t t0;
	char c;

	if (pipe(go) || pipe(ready))
		die("pipe");
	ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	for (i = 0; i < j->jobs; i++) {
		pids[i] = fork();
		if (pids[i] < 0)
			die("fork");
		if (pids[i])
			continue;
		close(go[1]);
		close(ready[0]);
		pin(i % (ncpu > 0 ? ncpu : 1));
		lfd = listener(j->addr, j->port + i);
		/* Start together: all listen before the clock starts. */
		if (write(ready[1], "r", 1) != 1)
			die("write (ready)");
		if (read(go[0], &c, 1) != 0)
			die("read (start)");
		j->run(j, i, lfd);
		_exit(0);
	}
	close(go[0]);
	close(ready[1]);
	for (i = 0; i < j->jobs; i++)
		if (read(ready[0], &c, 1) != 1)
			die("read (a job died before it listened)");
	t0 = now_ns();
	close(go[1]);
	st = 0;
	for (i = 0; i < j->jobs; i++) {
		int s;

		if (waitpid(pids[i], &s, 0) < 0)
			die("waitpid");
		if (!WIFEXITED(s) || WEXITSTATUS(s))
			st = 1;
	}
	*ns = now_ns() - t0;
	close(ready[0]);
	return st;
}

static void churn_job(const struct job *j, unsigned long i, int lfd)
{
	unsigned long n;

	for (n = 0; n < j->count; n++)
		cycle(lfd, j->addr, j->port + i, NULL, j->client_first);
}

static int cmd_churn(int argc, char **argv)
{
	struct job j = { .jobs = 1, .client_first = -1, .run = churn_job };
	unsigned long port = 0;
	uint64_t ns;
	int opt;

	while ((opt = getopt(argc, argv, "n:c:a:p:j:")) != -1) {
		switch (opt) {
		case 'n':
			j.count = number(optarg, 10000000);
			break;
		case 'c':
			if (!strcmp(optarg, "client"))
				j.client_first = 1;
			else if (!strcmp(optarg, "server"))
				j.client_first = 0;
			else
				usage();
			break;
		case 'a':
			j.addr = address(optarg);
			break;
		case 'p':
			port = number(optarg, 65535);
			break;
		case 'j':
			j.jobs = number(optarg, MAX_JOBS);
			break;
		default:
			usage();
		}
	}
	if (optind != argc || !j.count || j.client_first < 0 ||
	    !j.addr.s_addr || !port || !j.jobs || port + j.jobs - 1 > 65535)
		usage();
	j.port = port;

	if (run_jobs(&j, &ns)) {
		fputs("tw_bench: a churn job failed\n", stderr);
		return 1;
	}
	printf("ns=%llu cycles=%lu\n", (unsigned long long)ns,
	       j.count * j.jobs);
	return 0;
}

static int cmd_fill(int argc, char **argv)
{
	unsigned long count = 0, port = 0, per = 30000, n;
	struct in_addr addr = { 0 }, any = { htonl(INADDR_ANY) };
	uint32_t to;
	uint64_t t0;
	int opt, lfd;
	char next[INET_ADDRSTRLEN];

	while ((opt = getopt(argc, argv, "n:a:p:d:")) != -1) {
		switch (opt) {
		case 'n':
			count = number(optarg, 100000000);
			break;
		case 'a':
			addr = address(optarg);
			break;
		case 'p':
			port = number(optarg, 65535);
			break;
		case 'd':
			per = number(optarg, 60000);
			break;
		default:
			usage();
		}
	}
	if (optind != argc || !addr.s_addr || !port || !per)
		usage();

	lfd = listener(any, port);
	to = ntohl(addr.s_addr);
	t0 = now_ns();
	for (n = 0; n < count; n++) {
		if (n && n % per == 0)
			to++;
		cycle(lfd, (struct in_addr){ htonl(to) }, port, NULL, 1);
	}
	if (count)
		to++;
	printf("ns=%llu made=%lu next=%s\n",
	       (unsigned long long)(now_ns() - t0), count,
	       inet_ntop(AF_INET, &(struct in_addr){ htonl(to) }, next,
			 sizeof(next)));
	return 0;
}

/* Job i takes the addresses [first, last) of its share of j->count. */
static void peers_job(const struct job *j, unsigned long i, int lfd)
{
	unsigned long first = j->count * i / j->jobs;
	unsigned long last = j->count * (i + 1) / j->jobs, n, m;
	struct sockaddr_in from = { .sin_family = AF_INET };

	for (n = first; n < last; n++) {
		from.sin_addr.s_addr = htonl(j->from + n);
		for (m = 0; m < j->per; m++) {
			/* Port 0 while sport is: bind() picks one. */
			from.sin_port = htons(j->sport ? j->sport + m : 0);
			cycle(lfd, j->addr, j->port + i, &from, 0);
		}
	}
}

static int cmd_peers(int argc, char **argv)
{
	struct job j = { .jobs = 1, .per = 1, .run = peers_job };
	unsigned long port = 0;
	struct in_addr from = { 0 };
	char next[INET_ADDRSTRLEN];
	uint64_t ns;
	int opt;

	while ((opt = getopt(argc, argv, "n:a:p:s:k:j:")) != -1) {
		switch (opt) {
		case 'n':
			j.count = number(optarg, 16777215);
			break;
		case 'a':
			j.addr = address(optarg);
			break;
		case 'p':
			port = number(optarg, 65535);
			break;
		case 's':
			from = address(optarg);
			break;
		case 'k':
			j.per = number(optarg, 1000);
			j.sport = PEER_PORT;
			break;
		case 'j':
			j.jobs = number(optarg, MAX_JOBS);
			break;
		default:
			usage();
		}
	}
	j.from = ntohl(from.s_addr);
	if (optind != argc || !j.count || !j.addr.s_addr || !j.from ||
	    !port || !j.jobs || port + j.jobs - 1 > 65535 || !j.per ||
	    j.count > UINT32_MAX - j.from)
		usage();
	j.port = port;

	if (run_jobs(&j, &ns)) {
		fputs("tw_bench: a peers job failed\n", stderr);
		return 1;
	}
	printf("ns=%llu made=%lu next=%s\n", (unsigned long long)ns,
	       j.count * j.per,
	       inet_ntop(AF_INET, &(struct in_addr){ htonl(j.from + j.count) },
			 next, sizeof(next)));
	return 0;
}

/* /proc/net/sockstat's TIME_WAITs (its "tw"). */
static unsigned long sockstat_tw(void)
{
	char buf[1024], *p;
	ssize_t n;
	int fd;

	fd = open("/proc/net/sockstat", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		die("/proc/net/sockstat");
	n = read(fd, buf, sizeof(buf) - 1);
	if (n < 0)
		die("read (/proc/net/sockstat)");
	close(fd);
	buf[n] = '\0';
	p = strstr(buf, "TCP:");
	p = p ? strstr(p, " tw ") : NULL;
	if (!p) {
		fputs("tw_bench: no TCP tw in /proc/net/sockstat\n", stderr);
		exit(1);
	}
	return strtoul(p + 4, NULL, 10);
}

/* What steady churns to: @per cycles to each address from @to on. */
struct steady {
	int lfd, client_first;
	unsigned int port;
	unsigned long per, made;	/* made: cycles to @to so far */
	uint32_t to;
};

/* Churn until @end; returns the cycles made. */
static unsigned long steady_until(struct steady *s, uint64_t end)
{
	unsigned long n = 0;

	/* The clock is a system call too: look at it now and then. */
	do {
		cycle(s->lfd, (struct in_addr){ htonl(s->to) }, s->port, NULL,
		      s->client_first);
		if (++s->made == s->per) {
			s->made = 0;
			s->to++;
		}
	} while (++n % 16 || now_ns() < end);
	return n;
}

static int cmd_steady(int argc, char **argv)
{
	struct steady s = { .client_first = -1, .per = 1000 };
	unsigned long port = 0, warm = 0, window = 0, warm_n, n, tw0, tw1;
	struct in_addr addr = { 0 }, any = { htonl(INADDR_ANY) };
	char next[INET_ADDRSTRLEN];
	uint64_t t0, t1, t2;
	int opt;

	while ((opt = getopt(argc, argv, "c:a:p:w:t:d:")) != -1) {
		switch (opt) {
		case 'c':
			if (!strcmp(optarg, "client"))
				s.client_first = 1;
			else if (!strcmp(optarg, "server"))
				s.client_first = 0;
			else
				usage();
			break;
		case 'a':
			addr = address(optarg);
			break;
		case 'p':
			port = number(optarg, 65535);
			break;
		case 'w':
			warm = number(optarg, 86400);
			break;
		case 't':
			window = number(optarg, 86400);
			break;
		case 'd':
			s.per = number(optarg, 60000);
			break;
		default:
			usage();
		}
	}
	if (optind != argc || s.client_first < 0 || !addr.s_addr || !port ||
	    !window || !s.per)
		usage();
	s.to = ntohl(addr.s_addr);
	s.port = port;

	s.lfd = listener(any, port);
	t0 = now_ns();
	warm_n = warm ? steady_until(&s, t0 + warm * NSEC) : 0;
	tw0 = sockstat_tw();
	t1 = now_ns();
	n = steady_until(&s, t1 + window * NSEC);
	t2 = now_ns();
	tw1 = sockstat_tw();
	/* The next run starts at an address this one did not use. */
	s.to += !!s.made;
	printf("ns=%llu cycles=%lu warm_ns=%llu warm_cycles=%lu tw0=%lu "
	       "tw1=%lu next=%s\n", (unsigned long long)(t2 - t1), n,
	       (unsigned long long)(t1 - t0), warm_n, tw0, tw1,
	       inet_ntop(AF_INET, &(struct in_addr){ htonl(s.to) }, next,
			 sizeof(next)));
	return 0;
}

static volatile sig_atomic_t stopping;

static void on_stop(int sig)
{
	(void)sig;
	stopping = 1;
}

/* One job: getppid() until the deadline, a signal or an orphaned job. */
static unsigned long getppid_job(pid_t parent, uint64_t end)
{
	unsigned long calls = 0;

	while (!stopping) {
		if (getppid() != parent)
			break;
		/* The clock is a system call too: look at it now and then. */
		if (++calls % 64 == 0 && now_ns() >= end)
			break;
	}
	return calls;
}

static int cmd_getppid(int argc, char **argv)
{
	unsigned long seconds = 0, jobs = 1, calls, sum = 0, i, j;
	struct sigaction sa = { .sa_handler = on_stop };
	pid_t pids[MAX_JOBS], parent = getpid();
	int opt, ncpu, counts[2], st = 0;
	uint64_t t0, end;

	while ((opt = getopt(argc, argv, "t:j:")) != -1) {
		switch (opt) {
		case 't':
			seconds = number(optarg, 86400);
			break;
		case 'j':
			jobs = number(optarg, MAX_JOBS);
			break;
		default:
			usage();
		}
	}
	if (optind != argc || !seconds || !jobs)
		usage();

	/* No SA_RESTART: a signal must get the parent out of waitpid(). */
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGTERM, &sa, NULL) || sigaction(SIGINT, &sa, NULL))
		die("sigaction");
	if (pipe(counts))
		die("pipe");
	ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	t0 = now_ns();
	end = t0 + seconds * 1000000000ull;
	for (i = 0; i < jobs; i++) {
		pids[i] = fork();
		if (pids[i] < 0)
			die("fork");
		if (pids[i])
			continue;
		close(counts[0]);
		pin(i % (ncpu > 0 ? ncpu : 1));
		calls = getppid_job(parent, end);
		if (write(counts[1], &calls, sizeof(calls)) != sizeof(calls))
			die("write (count)");
		_exit(0);
	}
	close(counts[1]);
	for (i = 0; i < jobs; i++) {
		int s;

		while (waitpid(pids[i], &s, 0) < 0) {
			if (errno != EINTR)
				die("waitpid");
			/* Stopped early: so are the jobs. */
			for (j = i; j < jobs; j++)
				kill(pids[j], SIGTERM);
		}
		if (!WIFEXITED(s) || WEXITSTATUS(s))
			st = 1;
	}
	for (i = 0; i < jobs; i++) {
		if (read(counts[0], &calls, sizeof(calls)) != sizeof(calls))
			break;
		sum += calls;
	}
	if (st || i < jobs) {
		fputs("tw_bench: a getppid job failed\n", stderr);
		return 1;
	}
	printf("ns=%llu calls=%lu\n", (unsigned long long)(now_ns() - t0), sum);
	return 0;
}

static int cmd_refused(int argc, char **argv)
{
	unsigned long count = 0, port = 0, n;
	struct sockaddr_in to = { .sin_family = AF_INET };
	uint64_t t0;
	int opt, fd;

	while ((opt = getopt(argc, argv, "n:a:p:")) != -1) {
		switch (opt) {
		case 'n':
			count = number(optarg, 100000000);
			break;
		case 'a':
			to.sin_addr = address(optarg);
			break;
		case 'p':
			port = number(optarg, 65535);
			break;
		default:
			usage();
		}
	}
	if (optind != argc || !to.sin_addr.s_addr || !port || !count)
		usage();
	to.sin_port = htons(port);

	t0 = now_ns();
	for (n = 0; n < count; n++) {
		fd = socket(AF_INET, SOCK_STREAM, 0);
		if (fd < 0)
			die("socket");
		if (!connect(fd, (struct sockaddr *)&to, sizeof(to))) {
			errno = EISCONN;
			die("connect (something listens there)");
		}
		if (errno != ECONNREFUSED)
			die("connect");
		close(fd);
	}
	printf("ns=%llu connects=%lu\n", (unsigned long long)(now_ns() - t0),
	       count);
	return 0;
}

static int cmd_time(int argc, char **argv)
{
	uint64_t t0, t;
	pid_t pid;
	int st, fd;

	if (argc < 2)
		usage();
	t0 = now_ns();
	pid = fork();
	if (pid < 0)
		die("fork");
	if (!pid) {
		fd = open("/dev/null", O_WRONLY);
		if (fd < 0 || dup2(fd, 1) < 0)
			die("/dev/null");
		execvp(argv[1], argv + 1);
		die(argv[1]);
	}
	if (waitpid(pid, &st, 0) < 0)
		die("waitpid");
	t = now_ns() - t0;
	printf("ns=%llu\n", (unsigned long long)t);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		usage();
	/* A peer that vanishes must fail a call, not kill the bench. */
	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(argv[1], "churn"))
		return cmd_churn(argc - 1, argv + 1);
	if (!strcmp(argv[1], "fill"))
		return cmd_fill(argc - 1, argv + 1);
	if (!strcmp(argv[1], "getppid"))
		return cmd_getppid(argc - 1, argv + 1);
	if (!strcmp(argv[1], "peers"))
		return cmd_peers(argc - 1, argv + 1);
	if (!strcmp(argv[1], "refused"))
		return cmd_refused(argc - 1, argv + 1);
	if (!strcmp(argv[1], "steady"))
		return cmd_steady(argc - 1, argv + 1);
	if (!strcmp(argv[1], "time"))
		return cmd_time(argc - 1, argv + 1);
	usage();
	return 2;
}
