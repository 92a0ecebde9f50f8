dnl libecai PHP extension.
dnl   phpize && ./configure --with-ecai[=DIR] && make
dnl --with-ecai=DIR uses DIR/include and DIR/lib (an install prefix or the source tree);
dnl --with-ecai alone asks pkg-config for "ecai >= 0.1".

PHP_ARG_WITH([ecai],
  [for libecai support],
  [AS_HELP_STRING([[--with-ecai[=DIR]]], [Include libecai support (DIR: libecai prefix)])])

if test "$PHP_ECAI" != "no"; then
  if test "$PHP_ECAI" = "yes"; then
    PKG_CHECK_MODULES([ECAI], [ecai >= 0.1])
    PHP_EVAL_INCLINE($ECAI_CFLAGS)
    PHP_EVAL_LIBLINE($ECAI_LIBS, ECAI_SHARED_LIBADD)
  else
    if test ! -f "$PHP_ECAI/include/ecai.h"; then
      AC_MSG_ERROR([ecai.h not found in $PHP_ECAI/include])
    fi
    PHP_ADD_INCLUDE($PHP_ECAI/include)
    PHP_ADD_LIBRARY_WITH_PATH(ecai, $PHP_ECAI/lib, ECAI_SHARED_LIBADD)
  fi
  PHP_SUBST(ECAI_SHARED_LIBADD)
  dnl One source file per libecai module: ecai.c (module entry, core) + ecai_<module>.c.
  PHP_NEW_EXTENSION(ecai, esyscmd([ls ecai*.c | tr '\n' ' ']), $ext_shared)
fi
