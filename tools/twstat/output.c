// SPDX-License-Identifier: GPL-2.0
/*
 * Formatting helpers shared by every view (see output.h).  Text output
 * always carries units, because "41" next to "10824" tells nobody which
 * is sockets and which is bytes.
 */

#include <arpa/inet.h>
#include <math.h>
#include <stdarg.h>
#include <string.h>
#include <sys/socket.h>

#include "output.h"

#define TW_WIDTH	80
#define TW_BAR		18
#define TW_LABEL	14

/*
 * Here rather than in twstat.c so that everything linking the views (the
 * fuzzer among them) links the one that twstat runs.
 */
void tw_err(const char *fmt, ...)
{
	va_list ap;

	fputs("twstat: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

char *tw_fmt_bytes(char *buf, size_t len, uint64_t bytes)
{
	static const char *const units[] = { "KiB", "MiB", "GiB", "TiB" };
	double v = (double)bytes;
	int u = -1;

	if (bytes < 1024) {
		snprintf(buf, len, "%llu B", (unsigned long long)bytes);
		return buf;
	}
	while (v >= 1024 && u < 3) {
		v /= 1024;
		u++;
	}
	snprintf(buf, len, "%.1f %s", v, units[u]);
	return buf;
}

char *tw_fmt_pct(char *buf, size_t len, double pct)
{
	if (pct < 0 || isnan(pct))
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%.1f%%", pct);
	return buf;
}

char *tw_fmt_rate(char *buf, size_t len, double per_s)
{
	if (isnan(per_s))
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%.1f/s", per_s);
	return buf;
}

/* Durations for people: "4.2 s", "45 s", "12.5 min", "3.0 h", "2.1 d". */
char *tw_fmt_secs(char *buf, size_t len, double secs)
{
	if (isnan(secs) || secs < 0)
		snprintf(buf, len, "-");
	else if (secs < 10)
		snprintf(buf, len, "%.1f s", secs);
	else if (secs < 120)
		snprintf(buf, len, "%.0f s", secs);
	else if (secs < 7200)
		snprintf(buf, len, "%.1f min", secs / 60);
	else if (secs < 172800)
		snprintf(buf, len, "%.1f h", secs / 3600);
	else
		snprintf(buf, len, "%.1f d", secs / 86400);
	return buf;
}

/*
 * A table cell: one token, its unit in the column's name, one decimal;
 * "-" for none (a negative @v unless @sign).
 */
char *tw_fmt_num(char *buf, size_t len, double v, bool sign)
{
	if (isnan(v) || isinf(v) || (!sign && v < 0))
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, sign ? "%+.1f" : "%.1f", v);
	return buf;
}

char *tw_fmt_bar(char *buf, size_t len, double pct)
{
	int fill, i;

	if (len < TW_BAR + 3) {
		*buf = '\0';
		return buf;
	}
	if (pct < 0 || isnan(pct))
		pct = 0;
	fill = (int)lround(fmin(pct, 100) * TW_BAR / 100);
	buf[0] = '[';
	for (i = 0; i < TW_BAR; i++)
		buf[i + 1] = i < fill ? '#' : '-';
	buf[TW_BAR + 1] = ']';
	buf[TW_BAR + 2] = '\0';
	return buf;
}

char *tw_fmt_addr(char *buf, size_t len, const struct tw_addr *a, int port)
{
	char ip[INET6_ADDRSTRLEN];

	if (!inet_ntop(a->family, a->a, ip, sizeof(ip)))
		snprintf(ip, sizeof(ip), "?");
	if (port < 0)
		snprintf(buf, len, "%s", ip);
	else if (a->family == AF_INET6)
		snprintf(buf, len, "[%s]:%d", ip, port);
	else
		snprintf(buf, len, "%s:%d", ip, port);
	return buf;
}

/* --- text -------------------------------------------------------------- */

void tw_wrap(FILE *f, const char *lead, const char *indent, const char *text)
{
	size_t col = strlen(lead), ind = strlen(indent);
	const char *p = text;
	bool fresh = true;

	fputs(lead, f);
	while (*p) {
		size_t w;

		while (*p == ' ')
			p++;
		w = strcspn(p, " ");
		if (!w)
			break;
		if (!fresh && col + 1 + w > TW_WIDTH) {
			fprintf(f, "\n%s", indent);
			col = ind;
			fresh = true;
		}
		if (!fresh) {
			fputc(' ', f);
			col++;
		}
		fwrite(p, 1, w, f);
		col += w;
		p += w;
		fresh = false;
	}
	fputc('\n', f);
}

void tw_field(FILE *f, const char *label, const char *fmt, ...)
{
	char lead[TW_LABEL + 2], indent[TW_LABEL + 1], text[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	snprintf(lead, sizeof(lead), "%-*s", TW_LABEL, label);
	snprintf(indent, sizeof(indent), "%*s", TW_LABEL, "");
	tw_wrap(f, lead, indent, text);
}

/* One line of a table, without trailing blanks. */
static void tw_table_line(FILE *f, const char *indent,
			  const struct tw_col *cols, unsigned int ncols,
			  const size_t *width, char cells[][TW_CELL_MAX])
{
	char line[16 * (TW_CELL_MAX + 2) + 64];
	size_t len = 0;
	unsigned int c;

	len += (size_t)snprintf(line, sizeof(line), "%s", indent);
	for (c = 0; c < ncols && len < sizeof(line); c++)
		len += (size_t)snprintf(line + len, sizeof(line) - len,
					cols[c].left ? "%s%-*s" : "%s%*s",
					c ? "  " : "", (int)width[c],
					cells[c]);
	if (len >= sizeof(line))
		len = sizeof(line) - 1;
	while (len && line[len - 1] == ' ')
		len--;
	fprintf(f, "%.*s\n", (int)len, line);
}

void tw_table(FILE *f, const char *indent, const struct tw_col *cols,
	      unsigned int ncols, size_t nrows, tw_cell_fn cell,
	      const void *ctx, bool header)
{
	char cells[16][TW_CELL_MAX];
	size_t width[16] = { 0 };
	unsigned int c;
	size_t r;

	if (ncols > 16)
		ncols = 16;
	/* Two passes over the cells: sizes, then text, nothing kept. */
	for (c = 0; c < ncols; c++)
		width[c] = strlen(cols[c].name);
	for (r = 0; r < nrows; r++) {
		for (c = 0; c < ncols; c++) {
			cell(ctx, r, c, cells[c], TW_CELL_MAX);
			if (strlen(cells[c]) > width[c])
				width[c] = strlen(cells[c]);
		}
	}
	for (c = 0; c < ncols; c++)
		snprintf(cells[c], TW_CELL_MAX, "%s", cols[c].name);
	if (header)
		tw_table_line(f, indent, cols, ncols, width, cells);
	for (r = 0; r < nrows; r++) {
		for (c = 0; c < ncols; c++)
			cell(ctx, r, c, cells[c], TW_CELL_MAX);
		tw_table_line(f, indent, cols, ncols, width, cells);
	}
}

/* --- JSON -------------------------------------------------------------- */

static void tw_json_text(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

static void tw_json_key(struct tw_json *j, const char *key)
{
	if (!j->first)
		fputc(',', j->f);
	if (j->pretty && j->depth)
		fprintf(j->f, "\n%*s", 2 * j->depth, "");
	j->first = false;
	if (key) {
		tw_json_text(j->f, key);
		fputs(j->pretty ? ": " : ":", j->f);
	}
}

void tw_json_begin(struct tw_json *j, FILE *f, bool pretty)
{
	j->f = f;
	j->pretty = pretty;
	j->depth = 0;
	j->first = true;
}

void tw_json_end(struct tw_json *j)
{
	fputc('\n', j->f);
}

void tw_json_open(struct tw_json *j, const char *key, char bracket)
{
	tw_json_key(j, key);
	fputc(bracket, j->f);
	j->depth++;
	j->first = true;
}

void tw_json_close(struct tw_json *j, char bracket)
{
	j->depth--;
	if (j->pretty && !j->first)
		fprintf(j->f, "\n%*s", 2 * j->depth, "");
	fputc(bracket, j->f);
	j->first = false;
}

void tw_json_u64(struct tw_json *j, const char *key, uint64_t v)
{
	tw_json_key(j, key);
	fprintf(j->f, "%llu", (unsigned long long)v);
}

/* Integral values exactly (counts, ports); others to 6 digits. */
void tw_json_num(struct tw_json *j, const char *key, double v)
{
	tw_json_key(j, key);
	if (!isfinite(v))
		fputs("null", j->f);
	else if (v == trunc(v) && fabs(v) < 9007199254740992.0)
		fprintf(j->f, "%.0f", v);
	else
		fprintf(j->f, "%.6g", v);
}

/* A fixed-point value, to @decimals places: times, intervals. */
void tw_json_fixed(struct tw_json *j, const char *key, double v,
		   int decimals)
{
	tw_json_key(j, key);
	if (isfinite(v))
		fprintf(j->f, "%.*f", decimals, v);
	else
		fputs("null", j->f);
}

void tw_json_str(struct tw_json *j, const char *key, const char *s)
{
	tw_json_key(j, key);
	tw_json_text(j->f, s);
}

void tw_json_bool(struct tw_json *j, const char *key, bool v)
{
	tw_json_key(j, key);
	fputs(v ? "true" : "false", j->f);
}

void tw_json_null(struct tw_json *j, const char *key)
{
	tw_json_key(j, key);
	fputs("null", j->f);
}

/* --- Prometheus -------------------------------------------------------- */

void tw_prom_family(FILE *f, const char *name, const char *type,
		    const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void tw_prom_value(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			fprintf(f, "\\%c", *s);
		else if (*s == '\n')
			fputs("\\n", f);
		else
			fputc(*s, f);
	}
}

void tw_prom_sample(FILE *f, const char *name, double v,
		    const char *const *labels)
{
	fputs(name, f);
	if (labels && labels[0]) {
		const char *sep = "{";

		for (; labels[0] && labels[1]; labels += 2) {
			fprintf(f, "%s%s=\"", sep, labels[0]);
			tw_prom_value(f, labels[1]);
			fputc('"', f);
			sep = ",";
		}
		fputc('}', f);
	}
	fprintf(f, " %.15g\n", v);
}
