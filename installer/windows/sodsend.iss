; Inno Setup script for SOD Send on Windows. Build the frozen app first with PyInstaller
; (pyinstaller installer/sodsend.spec -> dist\SODSend\SODSend.exe), then compile this with ISCC.
; It registers the .sod file type so a double-click opens the file in SOD Send (a second launch
; hands the file to the already running window). The site's defaults (installer/site-defaults.ini,
; no secrets) travel inside dist\SODSend\_internal, where the frozen app reads them.
; Names, ProgID, extension, MIME type and version must agree with installer/sodsend.spec and
; installer/linux/: tests/ui/test_installer_files.py checks they do (the version is sodclient.__version__).

#define AppName "SOD Send"
#define AppExe "SODSend.exe"
#define AppVersion "0.2.0"
#define ProgId "SODSend.Container"
#define Extension ".sod"
#define MimeType "application/x-sod-container"

[Setup]
AppId={{6C3A8E52-3E1B-4C39-9B1F-5D0C2A7E4B11}
AppName={#AppName}
AppVersion={#AppVersion}
DefaultDirName={autopf}\SOD Send
DefaultGroupName={#AppName}
OutputBaseFilename=SODSend-Setup-{#AppVersion}
SetupIconFile=..\..\resources\sodsend.ico
UninstallDisplayIcon={app}\{#AppExe}
ChangesAssociations=yes
PrivilegesRequiredOverridesAllowed=dialog
Compression=lzma2
SolidCompression=yes

[Files]
Source: "..\..\dist\SODSend\*"; DestDir: "{app}"; Flags: recursesubdirs ignoreversion
Source: "..\..\resources\sod-document.ico"; DestDir: "{app}"; Flags: ignoreversion

[Icons]
Name: "{group}\{#AppName}"; Filename: "{app}\{#AppExe}"

[Registry]
Root: HKA; Subkey: "Software\Classes\{#Extension}"; ValueType: string; ValueName: ""; ValueData: "{#ProgId}"; Flags: uninsdeletevalue
Root: HKA; Subkey: "Software\Classes\{#Extension}"; ValueType: string; ValueName: "Content Type"; ValueData: "{#MimeType}"
Root: HKA; Subkey: "Software\Classes\{#ProgId}"; ValueType: string; ValueName: ""; ValueData: "SOD Send encrypted container"; Flags: uninsdeletekey
Root: HKA; Subkey: "Software\Classes\{#ProgId}\DefaultIcon"; ValueType: string; ValueName: ""; ValueData: "{app}\sod-document.ico"
Root: HKA; Subkey: "Software\Classes\{#ProgId}\shell\open\command"; ValueType: string; ValueName: ""; ValueData: """{app}\{#AppExe}"" ""%1"""
