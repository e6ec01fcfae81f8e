/* SPDX-License-Identifier: BSD-3-Clause */
/* The host library's log: level filter, stderr or an installed handler. Host layer. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <amp/log.h>

static amp_log_handler_t amp_log_handler;
static void *amp_log_priv;
static int amp_log_level = -1; /* -1: not read from the environment yet */

static int amp_log_level_from_env(void)
{
	const char *v = getenv("AMP_LOG_LEVEL");

	if (!v)
		return AMP_LOG_WARN;
	if (!strcmp(v, "err"))
		return AMP_LOG_ERR;
	if (!strcmp(v, "info"))
		return AMP_LOG_INFO;
	if (!strcmp(v, "debug"))
		return AMP_LOG_DEBUG;
	return AMP_LOG_WARN;
}

void amp_log_set_handler(amp_log_handler_t handler, void *priv)
{
	__atomic_store_n(&amp_log_priv, priv, __ATOMIC_RELAXED);
	__atomic_store_n(&amp_log_handler, handler, __ATOMIC_RELEASE);
}

void amp_log_set_level(enum amp_log_level level)
{
	__atomic_store_n(&amp_log_level, (int)level, __ATOMIC_RELAXED);
}

void amp_log(enum amp_log_level level, const char *fmt, ...)
{
	static const char *const names[] = {[AMP_LOG_ERR] = "error", [AMP_LOG_WARN] = "warning",
					    [AMP_LOG_INFO] = "info", [AMP_LOG_DEBUG] = "debug"};
	int max = __atomic_load_n(&amp_log_level, __ATOMIC_RELAXED);
	amp_log_handler_t handler;
	char msg[1024];
	va_list ap;

	if (max < 0) {
		max = amp_log_level_from_env();
		__atomic_store_n(&amp_log_level, max, __ATOMIC_RELAXED);
	}
	if ((int)level > max)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	handler = __atomic_load_n(&amp_log_handler, __ATOMIC_ACQUIRE);
	if (handler)
		handler(level, msg, __atomic_load_n(&amp_log_priv, __ATOMIC_RELAXED));
	else
		fprintf(stderr, "amp %s: %s\n", names[level] ? names[level] : "", msg);
}
