// SPDX-License-Identifier: MIT
/* The library's version, as compiled (see include/xaio/version.h.in). */
#include "core/internal.h"

unsigned int xaio_version(void)
{
	return XAIO_VERSION_HEX;
}

const char *xaio_version_string(void)
{
	return XAIO_VERSION_STRING;
}
