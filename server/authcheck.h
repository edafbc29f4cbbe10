/*
 * Checks of what logins read besides the configuration file: the account
 * that the network process runs as, and the password source of every
 * tunnel-group that checks passwords. headend -t prints what they find.
 * A start and a reload reject a file with errors, so that a group whose
 * user file is missing or broken is never put in use.
 */
#ifndef HEADEND_AUTHCHECK_H
#define HEADEND_AUTHCHECK_H

#include <stdbool.h>

#include "config.h"

/* Receives one finding, without a newline; error is false for a warning. */
typedef void authcheck_report_fn(void *arg, bool error, const char *text);

/*
 * Run every check on cfg. Returns the number of errors reported. A
 * malformed line of a user file is an error when lines_fatal is set, as
 * for headend -t, and otherwise a warning: a start or a reload goes on,
 * since only logins of that line's user fail.
 */
int	authcheck_config(const struct config *cfg, bool lines_fatal,
	    authcheck_report_fn *report, void *arg);

/*
 * Run only the check that the state file, its companions and the key
 * file are no file that cfg reads. A reload runs it again once it has
 * put back the running state-file and key-file, which a reload keeps.
 * Returns the number of errors reported.
 */
int	authcheck_state_paths(const struct config *cfg,
	    authcheck_report_fn *report, void *arg);

#endif
