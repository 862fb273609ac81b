@echo off
rem The Failback agent of a Hyper-V host.
rem Runs from a built checkout: mvnw.cmd -B -DskipTests package
setlocal
set "TARGET=%~dp0..\agent\target"
if not exist "%TARGET%\failback-agent.jar" (
  echo failback-agent: %TARGET%\failback-agent.jar is missing; build first: mvnw.cmd -B -DskipTests package 1>&2
  exit /b 2
)
java %JAVA_OPTS% -cp "%TARGET%\failback-agent.jar;%TARGET%\lib\*" io.failback.agent.AgentMain %*
exit /b %ERRORLEVEL%
