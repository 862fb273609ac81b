@echo off
rem Runs failback-pki from the certs module's build output (mvnw.cmd -B -q -pl certs package).
setlocal
for %%I in ("%~dp0..") do set "MODULE=%%~fI"
set "JAR="
for %%J in ("%MODULE%\target\failback-certs*.jar") do set "JAR=%%~fJ"
rem No parenthesized blocks: a path such as "C:\Program Files (x86)" would end them early.
if defined JAR goto run
echo failback-pki: no jar in "%MODULE%\target"; build it with mvnw.cmd -B -q -pl certs package 1>&2
exit /b 1

:run
set "JAVA_EXE=java"
if defined JAVA_HOME set "JAVA_EXE=%JAVA_HOME%\bin\java.exe"
"%JAVA_EXE%" -cp "%JAR%;%MODULE%\target\lib\*" io.failback.certs.PkiCli %*
exit /b %ERRORLEVEL%
