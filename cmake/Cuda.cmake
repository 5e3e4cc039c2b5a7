# CUDA kernels build only where Torch itself was built with CUDA (the GPU machine's torch 2.x).
#
# Their architectures: BUA_CUDA_ARCHITECTURES, in CMake's notation ("90", "80;90", "native"). The default,
# "auto", asks nvidia-smi for the GPUs of this machine and else builds for 80;90 (A100, H100/H200). Our own
# option rather than CMAKE_CUDA_ARCHITECTURES: once CUDA is enabled that variable always holds something (the
# compiler's default, 52 or 75, or what Torch's CMake files put there), so "not given" cannot be told from it,
# and sm_75 code on an H200 runs through the driver's PTX JIT.
set(BUA_CUDA_ARCHITECTURES "auto" CACHE STRING "CUDA architectures of the kernels (auto: this machine's GPUs, else 80;90)")
set(BUA_WITH_CUDA OFF)

function(bua_detect_cuda_architectures out)
  set(archs "")
  find_program(BUA_NVIDIA_SMI nvidia-smi)
  if(BUA_NVIDIA_SMI)
    execute_process(COMMAND ${BUA_NVIDIA_SMI} --query-gpu=compute_cap --format=csv,noheader
                    OUTPUT_VARIABLE caps RESULT_VARIABLE rc ERROR_QUIET OUTPUT_STRIP_TRAILING_WHITESPACE)
    if(rc EQUAL 0 AND caps MATCHES "^[0-9]+\\.[0-9]+")
      string(REPLACE "." "" caps "${caps}")
      string(REGEX REPLACE "[ \t\r]*\n[ \t\r]*" ";" caps "${caps}")
      list(REMOVE_DUPLICATES caps)
      set(archs "${caps}")
    endif()
  endif()
  set(${out} "${archs}" PARENT_SCOPE)
endfunction()

if(TORCH_LIBRARIES MATCHES "cuda" OR TARGET torch_cuda OR TARGET c10_cuda)
  include(CheckLanguage)
  check_language(CUDA)
  if(CMAKE_CUDA_COMPILER)
    set(archs "${BUA_CUDA_ARCHITECTURES}")
    set(why "BUA_CUDA_ARCHITECTURES")
    if(archs STREQUAL "auto")
      bua_detect_cuda_architectures(archs)
      set(why "the GPUs of this machine (nvidia-smi)")
      if(NOT archs)
        set(archs "80;90")
        set(why "no GPU to ask: A100 and H100/H200; set BUA_CUDA_ARCHITECTURES for others")
      endif()
    endif()
    set(CMAKE_CUDA_ARCHITECTURES "${archs}")
    enable_language(CUDA)
    set(CMAKE_CUDA_ARCHITECTURES "${archs}")  # again: enabling the language may have put its default there
    set(CMAKE_CUDA_STANDARD 17)
    set(BUA_WITH_CUDA ON)
    message(STATUS "bua: CUDA architectures ${archs} (${why})")
  endif()
endif()
message(STATUS "bua: CUDA kernels ${BUA_WITH_CUDA}")
