/* planted.h: the symbol that planted/victim.c takes from the planted libcrypto.so.3. */
#ifndef SB_PLANTED_H
#define SB_PLANTED_H

/* Same name and type as OpenSSL's: the planted library stands in for libcrypto.so.3. */
unsigned long OpenSSL_version_num(void);

#endif
