/* SPDX-License-Identifier: GPL-2.0 */
/* The few kernel idioms twstat uses, spelled for userspace. */
#ifndef _TWSTAT_COMPILER_H
#define _TWSTAT_COMPILER_H

#define __printf(a, b)	__attribute__((__format__(printf, a, b)))
#define __noreturn	__attribute__((__noreturn__))
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

#endif /* _TWSTAT_COMPILER_H */
