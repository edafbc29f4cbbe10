/*
 * "headendctl cert-hash": the hashes that phones pin.
 *
 *	headendctl cert-hash [-c CONFIG]
 *	headendctl cert-hash FILE...
 *
 * Without files it reads the configuration (default
 * /etc/headend/headend.conf) and prints, for each listener, the SHA-1
 * fingerprint and the certHash value of its certificate, of every
 * certificate of the chain it sends and of its next-certificate, followed
 * by warnings about the certificates and the phone settings. With files
 * it prints the same two values for every certificate in each PEM file.
 */
#ifndef HEADEND_CTLCERT_H
#define HEADEND_CTLCERT_H

/*
 * Run the command, where argv[0] is "cert-hash". Returns the exit
 * status: 0 on success (warnings included), 1 when a file or the
 * configuration cannot be read, 2 for a usage error.
 */
int	ctlcert_main(int argc, char **argv);

#endif
