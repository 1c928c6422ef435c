; Inno Setup script for SOD Send on Windows. Build the frozen app first with PyInstaller
; (pyinstaller installer/sodsend.spec -> dist\SODSend\SODSend.exe), then compile this with ISCC.
; It registers the .sod file type so a double-click opens the file in SOD Send (a second launch
; hands the file to the already running window).

#define AppName "SOD Send"
#define AppExe "SODSend.exe"

[Setup]
AppId={{6C3A8E52-3E1B-4C39-9B1F-5D0C2A7E4B11}
AppName={#AppName}
AppVersion=0.1.0
DefaultDirName={autopf}\SOD Send
DefaultGroupName=SOD Send
OutputBaseFilename=SODSend-Setup
ChangesAssociations=yes
PrivilegesRequiredOverridesAllowed=dialog
Compression=lzma2
SolidCompression=yes

[Files]
Source: "..\..\dist\SODSend\*"; DestDir: "{app}"; Flags: recursesubdirs ignoreversion

[Icons]
Name: "{group}\SOD Send"; Filename: "{app}\{#AppExe}"

[Registry]
Root: HKA; Subkey: "Software\Classes\.sod"; ValueType: string; ValueName: ""; ValueData: "SODSend.Container"; Flags: uninsdeletevalue
Root: HKA; Subkey: "Software\Classes\.sod"; ValueType: string; ValueName: "Content Type"; ValueData: "application/x-sod-container"
Root: HKA; Subkey: "Software\Classes\SODSend.Container"; ValueType: string; ValueName: ""; ValueData: "SOD Send encrypted container"; Flags: uninsdeletekey
Root: HKA; Subkey: "Software\Classes\SODSend.Container\DefaultIcon"; ValueType: string; ValueName: ""; ValueData: "{app}\{#AppExe},0"
Root: HKA; Subkey: "Software\Classes\SODSend.Container\shell\open\command"; ValueType: string; ValueName: ""; ValueData: """{app}\{#AppExe}"" ""%1"""
