# Use ccache when the machine has it. Precompiled headers need the sloppiness below to hit the cache.
find_program(BUA_CCACHE ccache)
if(BUA_CCACHE)
  set(BUA_LAUNCHER ${CMAKE_COMMAND} -E env
      CCACHE_SLOPPINESS=pch_defines,time_macros,include_file_mtime,include_file_ctime
      ${BUA_CCACHE})
  set(CMAKE_CXX_COMPILER_LAUNCHER ${BUA_LAUNCHER})
  set(CMAKE_CUDA_COMPILER_LAUNCHER ${BUA_LAUNCHER})
endif()
