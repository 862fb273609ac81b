@echo off
rem The Failback operator CLI.
rem Runs from a built checkout: mvnw.cmd -B -DskipTests package
setlocal
set "TARGET=%~dp0..\controller\target"
if not exist "%TARGET%\failback-controller.jar" (
  echo failback: %TARGET%\failback-controller.jar is missing; build first: mvnw.cmd -B -DskipTests package 1>&2
  exit /b 2
)
java %JAVA_OPTS% -cp "%TARGET%\failback-controller.jar;%TARGET%\lib\*" io.failback.controller.cli.FailbackMain %*
exit /b %ERRORLEVEL%
