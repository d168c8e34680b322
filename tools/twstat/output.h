/* SPDX-License-Identifier: GPL-2.0 */
/*
 * How twstat writes things: the one number formatter family, the one
 * address formatter, the one table printer of the text views, a small
 * JSON writer and the Prometheus text format.  All of them write to a
 * FILE that twstat points at memory, so that a sample is printed whole
 * or not at all; only errors go straight to stderr (tw_err()).
 */
#ifndef _TWSTAT_OUTPUT_H
#define _TWSTAT_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "parse.h"

#define TW_CELL_MAX	128
/* "[" INET6_ADDRSTRLEN "]:65535" */
#define TW_ADDR_MAX	56

/* "twstat: " and the message on stderr, outside the sample's output. */
__printf(1, 2) void tw_err(const char *fmt, ...);

/* Numbers with their units: "10.6 KiB", "58.0%", "2.5/s", "45 s". */
char *tw_fmt_bytes(char *buf, size_t len, uint64_t bytes);
char *tw_fmt_pct(char *buf, size_t len, double pct);
char *tw_fmt_rate(char *buf, size_t len, double per_s);
char *tw_fmt_secs(char *buf, size_t len, double secs);
char *tw_fmt_num(char *buf, size_t len, double v, bool sign);
char *tw_fmt_bar(char *buf, size_t len, double pct);
/* port < 0: the address alone; IPv6 then goes without brackets. */
char *tw_fmt_addr(char *buf, size_t len, const struct tw_addr *a,
		  int port);

/* "label         text", text wrapped at 80 columns under itself. */
__printf(3, 4) void tw_field(FILE *f, const char *label, const char *fmt,
			      ...);
/* Text wrapped at 80 columns; first line after lead, then after indent. */
void tw_wrap(FILE *f, const char *lead, const char *indent, const char *text);

struct tw_col {
	const char *name;
	bool left;			/* text; numbers align right */
};

typedef void (*tw_cell_fn)(const void *ctx, size_t row, unsigned int col,
			   char *buf, size_t len);

/* Fixed-width columns sized to the widest cell; two spaces between. */
void tw_table(FILE *f, const char *indent, const struct tw_col *cols,
	      unsigned int ncols, size_t nrows, tw_cell_fn cell,
	      const void *ctx, bool header);

struct tw_json {
	FILE *f;
	bool pretty;			/* indented, else one line */
	int depth;
	bool first;			/* nothing written at this depth yet */
};

void tw_json_begin(struct tw_json *j, FILE *f, bool pretty);
void tw_json_end(struct tw_json *j);
void tw_json_open(struct tw_json *j, const char *key, char bracket);
void tw_json_close(struct tw_json *j, char bracket);
void tw_json_u64(struct tw_json *j, const char *key, uint64_t v);
void tw_json_num(struct tw_json *j, const char *key, double v);
void tw_json_fixed(struct tw_json *j, const char *key, double v,
		   int decimals);
void tw_json_str(struct tw_json *j, const char *key, const char *s);
void tw_json_bool(struct tw_json *j, const char *key, bool v);
void tw_json_null(struct tw_json *j, const char *key);

/* Prometheus text exposition format, version 0.0.4. */
void tw_prom_family(FILE *f, const char *name, const char *type,
		    const char *help);
/* labels: NULL, or pairs of name and value ending with NULL. */
void tw_prom_sample(FILE *f, const char *name, double v,
		    const char *const *labels);

#endif /* _TWSTAT_OUTPUT_H */
