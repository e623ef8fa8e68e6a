#pragma once
#include <archive.h>
#include <archive_entry.h>
// AE_IFREG is a macro with a cast, which Swift does not import.
static const unsigned int shim_archive_regular_file = 0100000;
