# SPDX-License-Identifier: MIT
# Warning flags, -Werror (CI only) and sanitizers for xaio's own targets.

set(XAIO_WARNING_FLAGS -Wall -Wextra -Wshadow -Wstrict-prototypes
	-Wmissing-prototypes -Wformat=2 -Wundef -Wno-unused-parameter)

# libFuzzer targets (clang): the libraries get coverage instrumentation.
if(XAIO_FUZZ)
	add_compile_options(-fsanitize=fuzzer-no-link)
endif()

# Test programs run through CROSSCOMPILING_EMULATOR, which CTest honours.
if(XAIO_VALGRIND)
	set(CMAKE_CROSSCOMPILING_EMULATOR valgrind -q --error-exitcode=99
		--leak-check=full --errors-for-leak-kinds=definite,indirect
		--show-leak-kinds=definite,indirect)
endif()

if(XAIO_SANITIZE)
	add_compile_options(-fsanitize=${XAIO_SANITIZE} -fno-omit-frame-pointer)
	add_link_options(-fsanitize=${XAIO_SANITIZE})
endif()

function(xaio_warnings target)
	target_compile_options(${target} PRIVATE ${XAIO_WARNING_FLAGS})
	if(XAIO_WERROR)
		target_compile_options(${target} PRIVATE -Werror)
	endif()
endfunction()

# -z defs catches undefined symbols at link time; sanitizer runtimes leave
# their own symbols undefined in shared objects, so skip it there.
function(xaio_no_undefined target)
	if(NOT XAIO_SANITIZE)
		target_link_options(${target} PRIVATE "LINKER:-z,defs")
	endif()
endfunction()
