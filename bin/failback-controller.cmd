@echo off
rem The Failback controller (cloud side).
rem Runs from a built checkout: mvnw.cmd -B -DskipTests package
setlocal
set "TARGET=%~dp0..\controller\target"
if not exist "%TARGET%\failback-controller.jar" (
  echo failback-controller: %TARGET%\failback-controller.jar is missing; build first: mvnw.cmd -B -DskipTests package 1>&2
  exit /b 2
)
java %JAVA_OPTS% -cp "%TARGET%\failback-controller.jar;%TARGET%\lib\*" io.failback.controller.ControllerMain %*
exit /b %ERRORLEVEL%
