// SPDX-License-Identifier: GPL-2.0
/*
 * Who lives in a network namespace: a few of its processes and the
 * container they run in, so that --all-netns can name a namespace by
 * more than its inode.  Read from the live /proc only (ns/net, comm,
 * cgroup): a fixture directory has no processes.  A process that exits
 * during the scan is skipped; one we may not look at (another user's
 * ns/net without privilege) is not counted.
 *
 * The container comes from the process's cgroup path as the common
 * runtimes name it, with systemd's cgroup driver or cgroupfs:
 *
 *   .../docker-<id>.scope, /docker/<id>          docker
 *   .../cri-containerd-<id>.scope                containerd (CRI)
 *   .../crio-<id>.scope                          cri-o
 *   .../libpod-<id>.scope                        podman
 *   .../systemd-nspawn@<name>.service,
 *   machine.slice/machine-<name>.scope           systemd-nspawn
 *   kubepods...-pod<uid>.slice, /kubepods/.../pod<uid>/   a Kubernetes pod
 *
 * and, under a pod with cgroupfs, a last component of 64 hex digits as
 * the container of an unnamed CRI runtime.
 */

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "twstat.h"

/* The text after @prefix in @path, up to one of @stops, into @out. */
static bool tw_after(const char *path, const char *prefix, const char *stops,
		     char *out, size_t len)
{
	const char *p = strstr(path, prefix);
	size_t n;

	if (!p)
		return false;
	p += strlen(prefix);
	n = strcspn(p, stops);
	if (!n || n >= len)
		return false;
	memcpy(out, p, n);
	out[n] = '\0';
	return true;
}

static bool tw_hex64(const char *s)
{
	size_t i;

	for (i = 0; i < 64; i++)
		if (!isxdigit((unsigned char)s[i]))
			return false;
	return s[64] == '\0' || s[64] == '/' || s[64] == '\n';
}

/* A Kubernetes pod UID: systemd's driver writes '_' for '-'. */
static void tw_pod(const char *path, struct tw_owner *o)
{
	char *c;

	if (!strstr(path, "kubepods"))
		return;
	if (!tw_after(path, "-pod", "./\n", o->pod, sizeof(o->pod)) &&
	    !tw_after(path, "/pod", "./\n", o->pod, sizeof(o->pod)))
		return;
	for (c = o->pod; *c; c++)
		if (*c == '_')
			*c = '-';
}

void tw_cgroup_parse(const char *path, struct tw_owner *o)
{
	static const struct {
		const char *prefix, *stops, *runtime;
	} kinds[] = {
		{ "docker-", ".\n", "docker" },
		{ "/docker/", "/\n", "docker" },
		{ "cri-containerd-", ".\n", "containerd" },
		{ "crio-", ".\n", "cri-o" },
		{ "libpod-", ".\n", "podman" },
		{ "systemd-nspawn@", ".\n", "systemd-nspawn" },
		{ "machine.slice/machine-", ".\n", "systemd-nspawn" },
	};
	const char *last;
	size_t i;

	o->runtime[0] = '\0';
	o->id[0] = '\0';
	o->pod[0] = '\0';
	tw_pod(path, o);
	for (i = 0; i < ARRAY_SIZE(kinds); i++) {
		if (tw_after(path, kinds[i].prefix, kinds[i].stops, o->id,
			     sizeof(o->id))) {
			snprintf(o->runtime, sizeof(o->runtime), "%s",
				 kinds[i].runtime);
			return;
		}
	}
	last = strrchr(path, '/');
	if (o->pod[0] && last && tw_hex64(last + 1)) {
		snprintf(o->runtime, sizeof(o->runtime), "cri");
		snprintf(o->id, sizeof(o->id), "%.64s", last + 1);
	}
}

/* The cgroup v2 path of @pid (the "0::" line), or the first one. */
static bool tw_cgroup_of(const char *proc, const char *pid, char *path,
			 size_t len)
{
	char file[PATH_MAX], line[PATH_MAX + 64];
	bool found = false;
	FILE *f;

	snprintf(file, sizeof(file), "%s/%s/cgroup", proc, pid);
	f = fopen(file, "r");
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		const char *p = strchr(line, ':');

		p = p ? strchr(p + 1, ':') : NULL;
		if (!p)
			continue;
		if (!found || !strncmp(line, "0::", 3)) {
			snprintf(path, len, "%s", p + 1);
			path[strcspn(path, "\n")] = '\0';
			found = true;
		}
	}
	fclose(f);
	return found;
}

static struct tw_owner *tw_owner_add(struct tw_owners *ow, uint64_t netns)
{
	struct tw_owner *o;
	size_t i;

	for (i = 0; i < ow->n; i++)
		if (ow->o[i].netns == netns)
			return &ow->o[i];
	o = realloc(ow->o, (ow->n + 1) * sizeof(*o));
	if (!o)
		return NULL;
	ow->o = o;
	o = &ow->o[ow->n++];
	memset(o, 0, sizeof(*o));
	o->netns = netns;
	return o;
}

static void tw_owner_pid(const char *proc, const char *name, int pid,
			 struct tw_owner *o)
{
	char file[PATH_MAX], path[PATH_MAX];
	unsigned int k;
	FILE *f;

	o->npids++;
	/* Keep the lowest pids: a container's first process is its init. */
	for (k = 0; k < o->nkept && o->pid[k] < pid; k++)
		;
	if (k == TW_OWNER_PIDS)
		return;
	if (o->nkept == TW_OWNER_PIDS)
		o->nkept--;
	memmove(&o->pid[k + 1], &o->pid[k],
		(o->nkept - k) * sizeof(o->pid[0]));
	memmove(&o->comm[k + 1], &o->comm[k],
		(o->nkept - k) * sizeof(o->comm[0]));
	o->nkept++;
	o->pid[k] = pid;
	o->comm[k][0] = '\0';
	snprintf(file, sizeof(file), "%s/%s/comm", proc, name);
	f = fopen(file, "r");
	if (f) {
		if (fgets(o->comm[k], sizeof(o->comm[k]), f))
			o->comm[k][strcspn(o->comm[k], "\n")] = '\0';
		fclose(f);
	}
	if (!o->runtime[0] && !o->pod[0] &&
	    tw_cgroup_of(proc, name, path, sizeof(path)))
		tw_cgroup_parse(path, o);
}

int tw_owners_scan(struct tw_owners *ow, const char *proc)
{
	char link[64], file[PATH_MAX];
	struct dirent *de;
	unsigned long long netns;
	struct tw_owner *o;
	ssize_t n;
	DIR *d;
	int pid;

	memset(ow, 0, sizeof(*ow));
	ow->scanned = true;
	d = opendir(proc);
	if (!d)
		return -1;
	while ((de = readdir(d))) {
		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		pid = atoi(de->d_name);
		snprintf(file, sizeof(file), "%s/%s/ns/net", proc, de->d_name);
		n = readlink(file, link, sizeof(link) - 1);
		if (n < 0)
			continue;
		link[n] = '\0';
		if (sscanf(link, "net:[%llu]", &netns) != 1)
			continue;
		o = tw_owner_add(ow, netns);
		if (!o) {
			closedir(d);
			return -1;
		}
		tw_owner_pid(proc, de->d_name, pid, o);
	}
	closedir(d);
	return 0;
}

const struct tw_owner *tw_owner_of(const struct tw_owners *ow, uint64_t netns)
{
	size_t i;

	for (i = 0; i < ow->n; i++)
		if (ow->o[i].netns == netns)
			return &ow->o[i];
	return NULL;
}

void tw_owners_free(struct tw_owners *ow)
{
	free(ow->o);
	memset(ow, 0, sizeof(*ow));
}
