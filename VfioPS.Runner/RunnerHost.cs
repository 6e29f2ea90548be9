using System;
using System.Collections.Generic;
using System.Collections.ObjectModel;
using System.Globalization;
using System.IO;
using System.Management.Automation;
using System.Management.Automation.Host;
using System.Security;
using System.Text.RegularExpressions;

namespace VfioPS.Runner;

/// <summary>
/// A non-interactive host: output and errors go to two writers, anything that would prompt fails instead of
/// waiting (pipelines have no one to answer), and the table width is fixed so rendered views are stable.
/// </summary>
public sealed class RunnerHost : PSHost
{
    private readonly RunnerHostUserInterface _ui;
    private readonly Guid _id = Guid.NewGuid();

    public RunnerHost(TextWriter output, TextWriter error, int width = 120, bool plainText = true)
        => _ui = new RunnerHostUserInterface(output, error, width, plainText);

    public int ExitCode { get; private set; }
    public bool ExitRequested { get; private set; }

    /// <summary>How many error lines reached the host: errors that were shown, not ones a script caught.</summary>
    public int ErrorLinesWritten => _ui.ErrorLines;

    public override CultureInfo CurrentCulture => CultureInfo.InvariantCulture;
    public override CultureInfo CurrentUICulture => CultureInfo.InvariantCulture;
    public override Guid InstanceId => _id;
    public override string Name => "vfiops-run";
    public override PSHostUserInterface UI => _ui;
    public override Version Version => typeof(RunnerHost).Assembly.GetName().Version ?? new Version(0, 0);

    public override void EnterNestedPrompt() => throw new NotSupportedException("vfiops-run is non-interactive: nested prompts are not supported.");
    public override void ExitNestedPrompt() => throw new NotSupportedException("vfiops-run is non-interactive: nested prompts are not supported.");
    public override void NotifyBeginApplication() { }
    public override void NotifyEndApplication() { }

    public override void SetShouldExit(int exitCode)
    {
        ExitRequested = true;
        ExitCode = exitCode;
    }
}

internal sealed class RunnerHostUserInterface : PSHostUserInterface
{
    private readonly TextWriter _output;
    private readonly TextWriter _error;
    private readonly RunnerRawUserInterface _raw;
    private readonly bool _plainText;

    public RunnerHostUserInterface(TextWriter output, TextWriter error, int width, bool plainText)
    {
        _output = output;
        _error = error;
        _raw = new RunnerRawUserInterface(width);
        _plainText = plainText;
    }

    public override bool SupportsVirtualTerminal => !_plainText;

    // Formatting decorates headers and errors with VT sequences; a host that prints for logs strips them itself.
    private static readonly Regex s_vtSequence = new(@"\x1b\[[0-9;?]*[ -/]*[@-~]", RegexOptions.Compiled);

    private string Text(string value) => _plainText && value.Contains('\x1b') ? s_vtSequence.Replace(value, string.Empty) : value;

    public override PSHostRawUserInterface RawUI => _raw;

    private static Exception NonInteractive(string what)
        => new PSInvalidOperationException($"vfiops-run is non-interactive and cannot {what}. Pass the value as a parameter (for confirmations: -Confirm:$false).");

    public override string ReadLine() => throw NonInteractive("read input");
    public override SecureString ReadLineAsSecureString() => throw NonInteractive("read input");
    public override Dictionary<string, PSObject> Prompt(string caption, string message, Collection<FieldDescription> descriptions) => throw NonInteractive("prompt for values");
    public override int PromptForChoice(string caption, string message, Collection<ChoiceDescription> choices, int defaultChoice) => throw NonInteractive($"ask \"{message}\"");
    public override PSCredential PromptForCredential(string caption, string message, string userName, string targetName) => throw NonInteractive("prompt for credentials");
    public override PSCredential PromptForCredential(string caption, string message, string userName, string targetName, PSCredentialTypes allowedCredentialTypes, PSCredentialUIOptions options) => throw NonInteractive("prompt for credentials");

    public override void Write(string value) => _output.Write(Text(value));
    public override void Write(ConsoleColor foregroundColor, ConsoleColor backgroundColor, string value) => _output.Write(Text(value));
    public override void WriteLine(string value) => _output.WriteLine(Text(value));
    public int ErrorLines { get; private set; }

    public override void WriteErrorLine(string value)
    {
        ErrorLines++;
        _error.WriteLine(Text(value));
    }
    public override void WriteDebugLine(string message) => _error.WriteLine("DEBUG: " + Text(message));
    public override void WriteVerboseLine(string message) => _error.WriteLine("VERBOSE: " + Text(message));
    public override void WriteWarningLine(string message) => _error.WriteLine("WARNING: " + Text(message));
    public override void WriteInformation(InformationRecord record) => _output.WriteLine(Text(record.MessageData?.ToString() ?? string.Empty));
    public override void WriteProgress(long sourceId, ProgressRecord record) { }
}

internal sealed class RunnerRawUserInterface : PSHostRawUserInterface
{
    private readonly int _width;

    public RunnerRawUserInterface(int width) => _width = width;

    public override ConsoleColor BackgroundColor { get; set; } = ConsoleColor.Black;
    public override ConsoleColor ForegroundColor { get; set; } = ConsoleColor.Gray;
    public override Size BufferSize { get => new(_width, 9999); set { } }
    public override Coordinates CursorPosition { get; set; }
    public override int CursorSize { get; set; }
    public override bool KeyAvailable => false;
    public override Size MaxPhysicalWindowSize => new(_width, 9999);
    public override Size MaxWindowSize => new(_width, 9999);
    public override Coordinates WindowPosition { get; set; }
    public override Size WindowSize { get => new(_width, 50); set { } }
    public override string WindowTitle { get; set; } = "vfiops-run";

    public override void FlushInputBuffer() { }
    public override BufferCell[,] GetBufferContents(Rectangle rectangle) => throw new NotSupportedException("vfiops-run has no screen buffer.");
    public override KeyInfo ReadKey(ReadKeyOptions options) => throw new PSInvalidOperationException("vfiops-run is non-interactive and cannot read keys.");
    public override void ScrollBufferContents(Rectangle source, Coordinates destination, Rectangle clip, BufferCell fill) { }
    public override void SetBufferContents(Coordinates origin, BufferCell[,] contents) { }
    public override void SetBufferContents(Rectangle rectangle, BufferCell fill) { }
}
