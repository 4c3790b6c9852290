# Settings every target of ours gets: warnings as errors, sanitizers on demand.
function(tp_target_settings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Werror)
  if(TP_SANITIZE)
    # GCC 12 reports false maybe-uninitialized warnings (std::optional<std::string>)
    # once sanitizers instrument the code; keep them from failing the -Werror build.
    target_compile_options(${target} PRIVATE -fsanitize=address,undefined -fno-omit-frame-pointer
                                             -Wno-maybe-uninitialized)
    target_link_options(${target} PRIVATE -fsanitize=address,undefined)
  endif()
endfunction()

# tp_layer(<name> DEPS <targets...> [PCH <headers...>])
# One static library per folder; sources are the folder's .cpp files (recursively).
function(tp_layer name)
  cmake_parse_arguments(ARG "" "" "DEPS;PCH" ${ARGN})
  file(GLOB_RECURSE srcs CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*.cpp)
  if(NOT srcs)  # a layer that is headers only so far
    add_library(${name} INTERFACE)
    target_include_directories(${name} INTERFACE ${PROJECT_SOURCE_DIR})
    target_link_libraries(${name} INTERFACE ${ARG_DEPS})
    return()
  endif()
  add_library(${name} STATIC ${srcs})
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR})
  target_link_libraries(${name} PUBLIC ${ARG_DEPS})
  tp_target_settings(${name})
  if(TP_PCH AND ARG_PCH)
    target_precompile_headers(${name} PRIVATE ${ARG_PCH})
  endif()
endfunction()
