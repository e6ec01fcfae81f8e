/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The host library's log. Messages go to stderr by default, or to a handler the application
 * installs (a daemon sends them to syslog). Levels follow syslog's order.
 */
#ifndef AMP_LOG_H
#define AMP_LOG_H

#include <amp/compiler.h>

enum amp_log_level {
	AMP_LOG_ERR = 3,
	AMP_LOG_WARN = 4,
	AMP_LOG_INFO = 6,
	AMP_LOG_DEBUG = 7,
};

typedef void (*amp_log_handler_t)(enum amp_log_level level, const char *msg, void *priv);

/**
 * amp_log_set_handler() - send messages to @handler instead of stderr (NULL restores stderr).
 * The handler may be called from any of the library's threads, concurrently.
 * Context: any thread.
 */
AMP_API void amp_log_set_handler(amp_log_handler_t handler, void *priv);

/**
 * amp_log_set_level() - drop messages less severe than @level (default AMP_LOG_WARN, or the
 * value of $AMP_LOG_LEVEL: err, warn, info or debug). Context: any thread.
 */
AMP_API void amp_log_set_level(enum amp_log_level level);

/**
 * amp_log() - log a message (a newline is added). Context: any thread.
 */
AMP_API void amp_log(enum amp_log_level level, const char *fmt, ...) AMP_PRINTF(2, 3);

#endif /* AMP_LOG_H */
