@echo off
rem The Failback agent, from an installed release archive (lib\ beside bin\).
rem Java 17 or later: %JAVA_HOME%\bin\java.exe if JAVA_HOME is set, else java on the PATH.
setlocal
set "HOME_DIR=%~dp0.."
set "JAVA=java"
if defined JAVA_HOME set "JAVA=%JAVA_HOME%\bin\java.exe"
rem A bounded heap (AgentService.MAX_HEAP_MIB): JAVA_OPTS=-Xmx... after it wins.
"%JAVA%" -Xmx512m %JAVA_OPTS% -cp "%HOME_DIR%\lib\*" io.failback.agent.AgentMain %*
exit /b %ERRORLEVEL%
